/*
 * The libFuzzer entry point every tests/fuzz/fuzz_<name>.c defines (libgit2 docs/fuzzing.md,
 * cmark fuzz/). Built two ways: with clang -fsanitize=fuzzer by `make fuzz`, and with replay.c as
 * build/tests/test_fuzz_<name>, which `make check` runs over tests/fuzz/corpus/<name>/.
 *
 * A target returns 0 for every input; a bug is a crash, a sanitizer report, a leak or a failed
 * assert (properties that must hold whatever the input, such as "formatting what was parsed parses
 * back the same"). Targets report diagnostics to /dev/null: the messages are not under test here.
 */
#ifndef THREATFEED_FUZZ_H
#define THREATFEED_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
