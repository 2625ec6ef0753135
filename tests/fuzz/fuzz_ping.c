/*
 * What the pinger reads from outside: its state file (which anyone with access to the Git folder
 * may have edited), XML-RPC responses and Retry-After values from servers. The same bytes go to
 * all three. A state that formats must parse back to the same records with no warning.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ping.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ping_state st, again;
	enum ping_rpc_result result;
	struct buf b = BUF_INIT, message = BUF_INIT;
	struct diag d;
	long seconds;
	char *s;
	FILE *null;

	if (!(null = fopen("/dev/null", "w")))
		return 0;
	diag_init(&d, null);
	ping_state_parse(&st, "ping-state", text, size, &d);
	for (size_t i = 0; i < st.count; i++) {
		const struct ping_record *r = &st.items[i];

		assert(ping_state_find(&st, r->kind, r->endpoint, r->feed) == r);
	}
	if (ping_state_format(&b, &st) == 0) {
		diag_init(&d, null);
		assert(ping_state_parse(&again, "ping-state", b.ptr, b.len, &d) == 0 && d.warnings == 0);
		assert(again.count == st.count);
		for (size_t i = 0; i < st.count; i++) {
			const struct ping_record *r = &st.items[i];
			const struct ping_record *r2 = ping_state_find(&again, r->kind, r->endpoint, r->feed);

			assert(r2 && r2->ok == r->ok && strcmp(r2->hash, r->hash) == 0);
		}
		assert(again.nholds == st.nholds);
		for (size_t i = 0; i < st.nholds; i++) {
			const struct ping_hold *h = &st.holds[i];
			const struct ping_hold *h2 = ping_state_hold(&again, h->kind, h->endpoint);

			assert(h2 && h2->until == h->until);
		}
		ping_state_release(&again);
	}
	ping_state_release(&st);

	if (ping_parse_rpc_response(&result, &message, text, size) == 0)
		assert(result == PING_RPC_OK || result == PING_RPC_REFUSED || result == PING_RPC_FAULT);

	s = xstrndup(text, size);
	if (ping_parse_retry_after(&seconds, s, 1700000000) == 0)
		assert(seconds >= 0);
	free(s);
	buf_release(&b);
	buf_release(&message);
	fclose(null);
	return 0;
}
