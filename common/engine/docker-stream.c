/* SPDX-License-Identifier: Apache-2.0 */
/* docker-stream: what the Engine API sends as a stream, parsed: the
 * frames of a non-TTY attach or exec stream, and the JSON progress lines
 * of a pull, push or build. */
#include "engine/docker-stream.h"

#include <jansson.h>
#include <string.h>

#include "base/xalloc.h"

int docker_demux_feed(struct docker_demux *m, const char *buf, size_t len,
                      engine_output_fn *out, void *arg)
{
	while (len > 0) {
		size_t take;

		if (m->left == 0) {
			take = 8 - m->have < len ? 8 - m->have : len;
			memcpy(m->hdr + m->have, buf, take);
			m->have += take;
			buf += take;
			len -= take;
			if (m->have < 8)
				break;
			if (m->hdr[0] > 2 || m->hdr[1] || m->hdr[2] || m->hdr[3])
				return -1;
			m->stream = m->hdr[0] == 2 ? 2 : 1;
			m->left = (uint32_t)m->hdr[4] << 24 | (uint32_t)m->hdr[5] << 16 |
			          (uint32_t)m->hdr[6] << 8 | m->hdr[7];
			m->have = 0;
			continue;
		}
		take = m->left < len ? m->left : len;
		if (out)
			out(m->stream, buf, take, arg);
		m->left -= (uint32_t)take;
		buf += take;
		len -= take;
	}
	return 0;
}

bool docker_demux_complete(const struct docker_demux *m)
{
	return m->have == 0 && m->left == 0;
}

int docker_progress_line(const char *line, size_t len, FILE *out, struct docker_progress *p)
{
	json_t *j, *detail, *aux;
	const char *s, *id, *err;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r\n", line[i]); i++)
		;
	if (i == len)
		return 0;
	j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	detail = json_object_get(j, "errorDetail");
	err = json_string_value(json_object_get(detail, "message"));
	if (!err)
		err = json_string_value(json_object_get(j, "error"));
	if (err && !p->error)
		p->error = xstrdup(err);
	aux = json_object_get(j, "aux");
	s = json_string_value(json_object_get(aux, "ID"));
	if (s && !p->aux_id)
		p->aux_id = xstrdup(s);
	if (out) {
		if ((s = json_string_value(json_object_get(j, "stream"))))
			fputs(s, out);
		/* Progress bars repeat for every chunk downloaded: show only
		 * the status changes. */
		detail = json_object_get(j, "progressDetail");
		s = json_string_value(json_object_get(j, "status"));
		id = json_string_value(json_object_get(j, "id"));
		if (s && !(json_is_object(detail) && json_object_size(detail)))
			fprintf(out, "%s%s%s\n", id ? id : "", id ? ": " : "", s);
		if (err)
			fprintf(out, "%s\n", err);
		fflush(out);
	}
	json_decref(j);
	return 0;
}
