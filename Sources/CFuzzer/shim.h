/* libFuzzer's entry for programs that keep their own main(). Declared only:
 * the definition comes from libclang_rt.fuzzer when kptdump-fuzz is built with
 * -sanitize=fuzzer, and nothing references it otherwise. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
