/* nemorender: the library's error domain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <nemo/error.h>

G_DEFINE_QUARK (nemo-error-quark, nemo_error)
