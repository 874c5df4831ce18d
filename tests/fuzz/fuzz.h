/* fuzz.h — what the libFuzzer harnesses share: the entry point's prototype and an
 * invariant check that aborts with a message (libFuzzer then saves the input). */
#ifndef WEBIX_FUZZ_H
#define WEBIX_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                  \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, \
			    __LINE__, #cond);                                   \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)
#endif
