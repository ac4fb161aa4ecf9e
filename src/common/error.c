/* nemorender: the library's error domain. */
#include <nemo/error.h>

G_DEFINE_QUARK (nemo-error-quark, nemo_error)
