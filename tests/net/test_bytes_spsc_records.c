/* SPSC byte-record channel, one thread: records of every length from 0 to
 * the largest come out in order with their bytes, many times around a
 * small ring (so pads at the ring's end are exercised); an aborted claim
 * never appears; the errors: NX_E2BIG (over max_record), NX_EBUSY (a second
 * open claim, a second held record, closing with one open), NX_EAGAIN
 * (full / empty), NX_EPIPE (after the other side closed; a commit after the
 * receiver closed). Data is 8-byte aligned. */
#include "nx_test.h"
#include "nxrt_net.h"

static void fill(unsigned char *p, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++) p[i] = (unsigned char)(seed * 31 + i);
}

static int check(const unsigned char *p, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++)
    if (p[i] != (unsigned char)(seed * 31 + i)) return 0;
  return 1;
}

int main(void) {
  nx_test_start();
  nx_spsc_bytes_tx tx;
  nx_spsc_bytes_rx rx;
  nx_byte_claim c, c2;
  nx_byte_record r, r2;
  NX_CHECK_RC(nx_spsc_bytes_create(0, &tx, &rx), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_bytes_create((size_t)1 << 31, &tx, &rx), NX_EINVAL);
  NX_CHECK_OK(nx_spsc_bytes_create(200, &tx, &rx)); /* rounds up to 256 */
  size_t max = nx_spsc_bytes_max_record(&tx);
  NX_CHECK_EQ_U(max, 256 / 2 - 8);
  NX_CHECK_RC(nx_spsc_bytes_try_claim(&tx, max + 1, &c), NX_E2BIG);
  NX_CHECK_RC(nx_spsc_bytes_try_recv(&rx, &r), NX_EAGAIN);

  /* every length, several laps: each record is received before the next */
  unsigned seed = 0;
  for (int lap = 0; lap < 20; lap++) {
    for (size_t len = 0; len <= max; len += 7, seed++) {
      NX_CHECK_OK(nx_spsc_bytes_try_claim(&tx, len, &c));
      NX_CHECK_EQ_U(c.len, len);
      NX_CHECK_ALIGNED(c.data, 8);
      fill(c.data, len, seed);
      NX_CHECK_RC(nx_spsc_bytes_try_claim(&tx, 1, &c2), NX_EBUSY);
      NX_CHECK_RC(nx_spsc_bytes_tx_close(&tx), NX_EBUSY);
      NX_CHECK_OK(nx_byte_claim_commit(&c));
      NX_CHECK(c.data == NULL); /* emptied */
      NX_CHECK_OK(nx_spsc_bytes_try_recv(&rx, &r));
      NX_CHECK_EQ_U(r.len, len);
      NX_CHECK(check(r.data, len, seed));
      NX_CHECK_RC(nx_spsc_bytes_try_recv(&rx, &r2), NX_EBUSY);
      NX_CHECK_RC(nx_spsc_bytes_rx_close(&rx), NX_EBUSY);
      nx_byte_record_release(&r);
      NX_CHECK(r.data == NULL);
    }
  }

  /* fill until full, then drain: FIFO, and an aborted claim leaves no trace */
  NX_CHECK_OK(nx_spsc_bytes_try_claim(&tx, 40, &c));
  nx_byte_claim_abort(&c);
  int queued = 0;
  for (;; queued++) {
    int rc = nx_spsc_bytes_try_claim(&tx, 24, &c);
    if (rc == NX_EAGAIN) break;
    NX_CHECK_OK(rc);
    fill(c.data, 24, (unsigned)queued);
    NX_CHECK_OK(nx_byte_claim_commit(&c));
  }
  NX_CHECK(queued >= 256 / 32 - 1);
  for (int i = 0; i < queued; i++) {
    NX_CHECK_OK(nx_spsc_bytes_try_recv(&rx, &r));
    NX_CHECK_EQ_U(r.len, 24);
    NX_CHECK(check(r.data, 24, (unsigned)i));
    nx_byte_record_release(&r);
  }
  NX_CHECK_RC(nx_spsc_bytes_try_recv(&rx, &r), NX_EAGAIN);

  /* the sender closes: queued records first, then NX_EPIPE */
  NX_CHECK_OK(nx_spsc_bytes_try_claim(&tx, 3, &c));
  memcpy(c.data, "end", 3);
  NX_CHECK_OK(nx_byte_claim_commit(&c));
  NX_CHECK_OK(nx_spsc_bytes_tx_close(&tx));
  NX_CHECK_RC(nx_spsc_bytes_tx_close(&tx), NX_EINVAL);
  NX_CHECK_OK(nx_spsc_bytes_try_recv(&rx, &r));
  NX_CHECK(r.len == 3 && memcmp(r.data, "end", 3) == 0);
  nx_byte_record_release(&r);
  NX_CHECK_RC(nx_spsc_bytes_try_recv(&rx, &r), NX_EPIPE);
  NX_CHECK_OK(nx_spsc_bytes_rx_close(&rx));

  /* the receiver closes: claims fail, an open claim's commit says so */
  NX_CHECK_OK(nx_spsc_bytes_create(256, &tx, &rx));
  NX_CHECK_OK(nx_spsc_bytes_try_claim(&tx, 8, &c));
  NX_CHECK_OK(nx_spsc_bytes_rx_close(&rx));
  NX_CHECK_RC(nx_byte_claim_commit(&c), NX_EPIPE);
  NX_CHECK_RC(nx_spsc_bytes_try_claim(&tx, 8, &c), NX_EPIPE);
  NX_CHECK_OK(nx_spsc_bytes_tx_close(&tx));

  /* NULL and empty */
  NX_CHECK_RC(nx_byte_claim_commit(NULL), NX_EINVAL);
  nx_byte_claim empty_c = {0};
  nx_byte_record empty_r = {0};
  NX_CHECK_RC(nx_byte_claim_commit(&empty_c), NX_EINVAL);
  nx_byte_claim_abort(&empty_c);
  nx_byte_claim_abort(NULL);
  nx_byte_record_release(&empty_r);
  nx_byte_record_release(NULL);
  NX_CHECK_RC(nx_spsc_bytes_try_claim(&tx, 1, &c), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_bytes_try_recv(&rx, &r), NX_EINVAL);
  NX_CHECK_RC(nx_spsc_bytes_create(64, NULL, &rx), NX_EINVAL);
  NX_CHECK_EQ_U(nx_spsc_bytes_max_record(NULL), 0);
  return 0;
}
