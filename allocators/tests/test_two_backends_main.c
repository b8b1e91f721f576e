/* Linked with two backend libraries on purpose: this must NOT link
 * ("multiple definition of nx_backend_allocator"). See the ctest
 * alloc_backend_two_in_one_binary. */
#include "nx_backend.h"

int main(void) { return nx_backend_allocator() == 0; }
