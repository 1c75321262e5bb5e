#ifndef IMBENCH_CSHA256_H
#define IMBENCH_CSHA256_H
#include <stddef.h>
#include <stdint.h>
/* SHA-256's compression function on the x86 SHA extensions (SHA-NI), for hashing data
 * files at memory speed. Returns 0 and does nothing when the CPU lacks them (the Swift
 * implementation then runs); the digest is the same either way. `force_portable` (tests)
 * makes it always return 0. */
int ib_sha256_compress_ni(uint32_t state[8], const void *data, size_t blocks);
int ib_sha256_has_ni(void);
void ib_sha256_force_portable(int on);
#endif
