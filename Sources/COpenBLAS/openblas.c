/* Run-time loading of Debian's OpenBLAS; see include/COpenBLAS.h for why. */
#include "COpenBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *library;
static int status = -1;
static char message[1024];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void (*p_set_num_threads)(int);
static int (*p_get_num_threads)(void);
static char *(*p_get_corename)(void);
static char *(*p_get_config)(void);
static void (*p_sgemm)(int, int, int, int, int, int, float, const float *, int,
                       const float *, int, float, float *, int);
static void (*p_dsyrk)(int, int, int, int, int, double, const double *, int, double,
                       double *, int);
static void (*p_dsyevd)(const char *, const char *, const int *, double *, const int *,
                        double *, double *, const int *, int *, const int *, int *);

static int resolve(const char *name, void **slot) {
    *slot = dlsym(library, name);
    if (!*slot) {
        snprintf(message, sizeof message, "libopenblas.so.0 has no symbol %s", name);
        return -1;
    }
    return 0;
}

int ib_openblas_load(const char *core) {
    pthread_mutex_lock(&lock);
    if (status >= 0 || message[0]) {
        int s = status >= 0 ? 0 : -1;
        pthread_mutex_unlock(&lock);
        return s;
    }
    /* One thread: the engine's workers call in parallel themselves, and results must not
     * depend on OpenBLAS's threading. */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    if (core) setenv("OPENBLAS_CORETYPE", core, 1);
    library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(message, sizeof message,
                 "cannot open OpenBLAS (libopenblas.so.0: %s); install Debian's libopenblas0 "
                 "(scripts/bootstrap.sh does)", dlerror());
        pthread_mutex_unlock(&lock);
        return -1;
    }
    if (resolve("openblas_set_num_threads", (void **)&p_set_num_threads) ||
        resolve("openblas_get_num_threads", (void **)&p_get_num_threads) ||
        resolve("openblas_get_corename", (void **)&p_get_corename) ||
        resolve("openblas_get_config", (void **)&p_get_config) ||
        resolve("cblas_sgemm", (void **)&p_sgemm) ||
        resolve("cblas_dsyrk", (void **)&p_dsyrk) ||
        resolve("dsyevd_", (void **)&p_dsyevd)) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    const char *running = p_get_corename();
    if (core && (!running || strcasecmp(running, core) != 0)) {
        snprintf(message, sizeof message,
                 "OpenBLAS runs its %s kernels, but ImbalanceBench pinned %s (OPENBLAS_CORETYPE) "
                 "so that records do not depend on the CPU: the library was already loaded "
                 "before the pin could apply (another library, or LD_PRELOAD), or this build "
                 "does not honour OPENBLAS_CORETYPE",
                 running ? running : "unknown", core);
        pthread_mutex_unlock(&lock);
        return -1;
    }
    p_set_num_threads(1);
    status = 0;
    pthread_mutex_unlock(&lock);
    return 0;
}

const char *ib_openblas_error(void) { return message; }
int ib_openblas_loaded(void) { return status == 0; }
const char *ib_openblas_corename(void) { return p_get_corename(); }
const char *ib_openblas_config(void) { return p_get_config(); }
void ib_openblas_set_num_threads(int threads) { p_set_num_threads(threads); }
int ib_openblas_get_num_threads(void) { return p_get_num_threads(); }

void ib_cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc) {
    p_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void ib_cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha,
                    const double *a, int lda, double beta, double *c, int ldc) {
    p_dsyrk(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}

void ib_lapack_dsyevd(const char *jobz, const char *uplo, const int *n, double *a,
                      const int *lda, double *w, double *work, const int *lwork, int *iwork,
                      const int *liwork, int *info) {
    p_dsyevd(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info);
}
