/* MPSC byte-record channel, one thread: records come out in claim order
 * whatever the commit order (an open claim holds back the ones claimed
 * after it; aborting it lets them through), with their bytes, around a
 * small ring many times; several claims may be open at once; cloned
 * senders; closing: the last sender's close ends the stream with NX_EPIPE
 * after the queued records, a sender with an open claim cannot close
 * (NX_EBUSY); after the receiver closes, claims and commits say NX_EPIPE. */
#include "nx_test.h"
#include "nxrt_net.h"

int main(void) {
  nx_test_start();
  nx_mpsc_bytes_tx tx, tx2;
  nx_mpsc_bytes_rx rx;
  nx_byte_claim a, b, c;
  nx_byte_record r, r2;
  NX_CHECK_OK(nx_mpsc_bytes_create(256, &tx, &rx));
  size_t max = nx_mpsc_bytes_max_record(&tx);
  NX_CHECK_EQ_U(max, 120);
  NX_CHECK_RC(nx_mpsc_bytes_try_claim(&tx, max + 1, &a), NX_E2BIG);
  NX_CHECK_OK(nx_mpsc_bytes_tx_clone(&tx, &tx2));

  /* claim order, not commit order */
  NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx, 5, &a));
  NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx2, 6, &b));
  NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx, 7, &c));
  memcpy(a.data, "first", 5);
  memcpy(b.data, "second", 6);
  memcpy(c.data, "third!!", 7);
  NX_CHECK_OK(nx_byte_claim_commit(&c));
  NX_CHECK_OK(nx_byte_claim_commit(&b));
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_EAGAIN); /* a still open */
  NX_CHECK_RC(nx_mpsc_bytes_tx_close(&tx), NX_EBUSY);
  nx_byte_claim_abort(&a);
  NX_CHECK_OK(nx_mpsc_bytes_try_recv(&rx, &r));
  NX_CHECK(r.len == 6 && memcmp(r.data, "second", 6) == 0);
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r2), NX_EBUSY);
  NX_CHECK_RC(nx_mpsc_bytes_rx_close(&rx), NX_EBUSY);
  nx_byte_record_release(&r);
  NX_CHECK_OK(nx_mpsc_bytes_try_recv(&rx, &r));
  NX_CHECK(r.len == 7 && memcmp(r.data, "third!!", 7) == 0);
  nx_byte_record_release(&r);
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_EAGAIN);

  /* many laps of varied lengths, two at a time in flight */
  unsigned next_out = 0, next_in = 0;
  for (int i = 0; i < 2000; i++) {
    size_t la = (size_t)(i * 13 % 50), lb = (size_t)(i * 7 % 60);
    int ra = nx_mpsc_bytes_try_claim(&tx, la, &a);
    int rb = ra == NX_OK ? nx_mpsc_bytes_try_claim(&tx2, lb, &b) : NX_EAGAIN;
    if (ra == NX_OK) {
      NX_CHECK_ALIGNED(a.data, 8);
      memset(a.data, (int)(next_out & 0xff), la);
    }
    if (rb == NX_OK) memset(b.data, (int)((next_out + 1) & 0xff), lb);
    if (rb == NX_OK) NX_CHECK_OK(nx_byte_claim_commit(&b));
    if (ra == NX_OK) NX_CHECK_OK(nx_byte_claim_commit(&a));
    next_out += (ra == NX_OK) + (rb == NX_OK);
    for (int k = 0; k < 2; k++) {
      if (next_in == next_out) break;
      NX_CHECK_OK(nx_mpsc_bytes_try_recv(&rx, &r));
      for (size_t j = 0; j < r.len; j++)
        if (((unsigned char *)r.data)[j] != (unsigned char)(next_in & 0xff))
          nx_test_fail(__FILE__, __LINE__, "record %u byte %zu", next_in, j);
      nx_byte_record_release(&r);
      next_in++;
    }
  }
  NX_CHECK_EQ(next_in, next_out);
  NX_CHECK(next_out > 2000);

  /* closing the senders */
  NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx2, 4, &a));
  memcpy(a.data, "last", 4);
  NX_CHECK_OK(nx_byte_claim_commit(&a));
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx));
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_OK);
  nx_byte_record_release(&r);
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_EAGAIN); /* tx2 still open */
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx2));
  NX_CHECK_RC(nx_mpsc_bytes_try_recv(&rx, &r), NX_EPIPE);
  NX_CHECK_OK(nx_mpsc_bytes_rx_close(&rx));

  /* the receiver closes first */
  NX_CHECK_OK(nx_mpsc_bytes_create(64, &tx, &rx));
  NX_CHECK_OK(nx_mpsc_bytes_try_claim(&tx, 8, &a));
  NX_CHECK_OK(nx_mpsc_bytes_rx_close(&rx));
  NX_CHECK_RC(nx_byte_claim_commit(&a), NX_EPIPE);
  NX_CHECK_RC(nx_mpsc_bytes_try_claim(&tx, 8, &a), NX_EPIPE);
  NX_CHECK_OK(nx_mpsc_bytes_tx_close(&tx));
  NX_CHECK_RC(nx_mpsc_bytes_tx_clone(&tx, &tx2), NX_EINVAL);
  return 0;
}
