#ifndef IMBENCH_COPENBLAS_H
#define IMBENCH_COPENBLAS_H
/*
 * Debian's OpenBLAS, opened at run time (dlopen) instead of linked, for one reason: its
 * DYNAMIC_ARCH build picks a kernel family for the CPU when the library is loaded, and
 * different families round differently. Opening it ourselves lets the engine set
 * OPENBLAS_CORETYPE (and OPENBLAS_NUM_THREADS=1) first, in every process that uses it
 * (CLI, sweep workers, Slurm tasks, test bundles), and check afterwards that the family it
 * asked for is the one running. The engine's GEMMs do not use OpenBLAS (see CGEMM); the
 * ZCA fit's LAPACK/BLAS calls and the benchmarks' sgemm yardstick do.
 */

/* CBLAS enumerations (cblas.h values). */
enum { IB_CBLAS_ROW_MAJOR = 101, IB_CBLAS_NO_TRANS = 111, IB_CBLAS_TRANS = 112,
       IB_CBLAS_UPPER = 121, IB_CBLAS_LOWER = 122 };

/* Loads libopenblas.so.0 once per process. core: the OPENBLAS_CORETYPE to set before
 * loading (NULL leaves the environment's choice). Returns 0, or -1 with a message in
 * ib_openblas_error(). Thread-safe; later calls return the first call's outcome. */
int ib_openblas_load(const char *core);
const char *ib_openblas_error(void);
int ib_openblas_loaded(void);

/* Valid only after a successful load. */
const char *ib_openblas_corename(void);
const char *ib_openblas_config(void);
void ib_openblas_set_num_threads(int threads);
int ib_openblas_get_num_threads(void);

void ib_cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc);
void ib_cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha,
                    const double *a, int lda, double beta, double *c, int ldc);
/* LAPACK dsyevd (column-major, Fortran calling convention). */
void ib_lapack_dsyevd(const char *jobz, const char *uplo, const int *n, double *a,
                      const int *lda, double *w, double *work, const int *lwork, int *iwork,
                      const int *liwork, int *info);
#endif
