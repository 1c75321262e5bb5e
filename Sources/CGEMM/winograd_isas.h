/* winograd_body.h once per instruction set (AVX-512, AVX2, baseline x86-64) for the tile
 * size winograd.c has defined (WG_KIND, WG_M, WG_A and the tile macros), whose macros it
 * undefines after the last. */
#define WG_ISA_CAT2(a, b) a##_##b
#define WG_ISA_CAT(a, b) WG_ISA_CAT2(a, b)

#define WG_NAME WG_ISA_CAT(WG_KIND, avx512)
#define WG_ATTR __attribute__((target("avx512f")))
#define WG_V wg_v16
#include "winograd_body.h"

#define WG_NAME WG_ISA_CAT(WG_KIND, avx2)
#define WG_ATTR __attribute__((target("avx2")))
#define WG_V wg_v8
#include "winograd_body.h"

#define WG_NAME WG_ISA_CAT(WG_KIND, baseline)
#define WG_ATTR
#define WG_V wg_v4
#include "winograd_body.h"

#undef WG_ISA_CAT
#undef WG_ISA_CAT2
#undef WG_KIND
#undef WG_M
#undef WG_A
#undef WG_IN
#undef WG_OUT
#undef WG_GRAD
#undef WG_INGRAD
