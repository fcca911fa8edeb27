/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the exec/attach stream demultiplexer, fed in pieces whose
 * sizes come from the input too (the daemon's chunks fall anywhere). */
#include <stddef.h>
#include <stdint.h>

#include "engine/docker-stream.h"
#include "fuzz.h"

static size_t total;

static void sink(int stream, const char *buf, size_t len, void *arg)
{
	(void)stream;
	(void)arg;
	for (size_t i = 0; i < len; i++)
		total += (unsigned char)buf[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_demux m = {0};
	size_t pos = 0;

	fuzz_quiet();
	while (pos < size) {
		size_t piece = 1 + data[pos] % 17;

		pos++;
		if (piece > size - pos)
			piece = size - pos;
		if (docker_demux_feed(&m, (const char *)data + pos, piece, sink, NULL) < 0)
			break;
		pos += piece;
	}
	docker_demux_complete(&m);
	return 0;
}
