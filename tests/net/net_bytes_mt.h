/* What the cross-thread byte-record tests share: a record format a
 * consumer can check (producer id, sequence number, a length that varies,
 * bytes derived from both), and a producer thread that runs its own
 * executor with a producer task awaiting claim futures (so the consumer's
 * releases wake it from another thread). */
#ifndef NXRT_TESTS_NET_BYTES_MT_H
#define NXRT_TESTS_NET_BYTES_MT_H

#include "nx_test.h"
#include "nxrt_net.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

typedef struct mt_rec {
  uint32_t producer, seq;
} mt_rec;

static inline size_t mt_len(uint32_t producer, uint32_t seq) {
  return sizeof(mt_rec) + (size_t)((seq * 37u + producer * 11u) % 150u);
}

static inline void mt_fill(void *data, uint32_t producer, uint32_t seq) {
  mt_rec h = {producer, seq};
  memcpy(data, &h, sizeof h);
  unsigned char *p = (unsigned char *)data + sizeof h;
  size_t n = mt_len(producer, seq) - sizeof h;
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seq + producer + i);
}

/* 1 if the record is the next one expected from its producer. */
static inline int mt_check(const void *data, size_t len, uint32_t *next_seq, uint32_t producers) {
  mt_rec h;
  if (len < sizeof h) return 0;
  memcpy(&h, data, sizeof h);
  if (h.producer >= producers || h.seq != next_seq[h.producer]) return 0;
  if (len != mt_len(h.producer, h.seq)) return 0;
  const unsigned char *p = (const unsigned char *)data + sizeof h;
  for (size_t i = 0; i < len - sizeof h; i++)
    if (p[i] != (unsigned char)(h.seq + h.producer + i)) return 0;
  next_seq[h.producer]++;
  return 1;
}

#endif /* NXRT_TESTS_NET_BYTES_MT_H */
