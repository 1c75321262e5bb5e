#include <cblas.h>
/* OpenBLAS extensions: thread control is process-wide. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
/* LAPACK (built into Debian's libopenblas): symmetric eigendecomposition, for ZCA. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);
