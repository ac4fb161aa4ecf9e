/* The libFuzzer entry point every target in tests/fuzz/ defines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef NEMO_FUZZ_H
#define NEMO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#endif
