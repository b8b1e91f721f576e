/* The timer heap keeps (deadline, seq) order under random inserts, removals
 * from the middle and deadline changes; its top is always the minimum (the
 * next-deadline lookup is O(1)); equal deadlines pop in seq order. */
#include "nx_test.h"
#include "svc_test.h"
#include "timer_heap.h"

#define N 2000

static nx_timer_entry e[N];
static int live[N];
static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static nx_timer_entry *brute_min(void) {
  nx_timer_entry *m = NULL;
  for (int i = 0; i < N; i++)
    if (live[i] && (m == NULL || e[i].deadline_ns < m->deadline_ns ||
                    (e[i].deadline_ns == m->deadline_ns && e[i].seq < m->seq)))
      m = &e[i];
  return m;
}

static void check_indexes(const nx_timer_heap *h) {
  for (uint32_t i = 0; i < h->len; i++) NX_CHECK_EQ_U(h->items[i]->heap_index, i);
}

int main(void) {
  nx_test_start();
  nx_timer_heap h = {0};
  uint64_t seq = 0;
  for (int i = 0; i < N; i++) e[i].heap_index = NX_TIMER_UNREGISTERED;
  for (int step = 0; step < 20000; step++) {
    int i = (int)(next_rand() % N);
    uint64_t op = next_rand() % 3;
    if (!live[i]) {
      e[i].deadline_ns = (int64_t)(next_rand() % 1000); /* many ties */
      e[i].seq = seq++;
      NX_CHECK_OK(nx__timer_heap_push(&h, &e[i]));
      live[i] = 1;
    } else if (op == 0) {
      nx__timer_heap_remove(&h, &e[i]);
      NX_CHECK_EQ_U(e[i].heap_index, NX_TIMER_UNREGISTERED);
      live[i] = 0;
    } else {
      e[i].deadline_ns = (int64_t)(next_rand() % 1000);
      nx__timer_heap_update(&h, &e[i]);
    }
    NX_CHECK_PTR_EQ(nx__timer_heap_top(&h), brute_min());
    if (step % 1000 == 0) check_indexes(&h);
  }
  /* Drain: strictly ordered by (deadline, seq). */
  int64_t last_d = -1;
  uint64_t last_s = 0;
  nx_timer_entry *t;
  while ((t = nx__timer_heap_top(&h)) != NULL) {
    NX_CHECK(t->deadline_ns > last_d || (t->deadline_ns == last_d && t->seq > last_s));
    last_d = t->deadline_ns;
    last_s = t->seq;
    nx__timer_heap_remove(&h, t);
  }
  free(h.items);
  return 0;
}
