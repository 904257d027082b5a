/* qmp_fakepeer.h — a scripted fake QMP peer for the unit tests of src/qemu/qmp.h: a unix
 * socket server in its own thread with blocking I/O. A test gives a script function that
 * runs in that thread and uses the peer_* steps; a failed step records a message (never a
 * cmocka assert off the main thread) and ends the script. The client runs on a uv loop in
 * the main thread; fakepeer_join() returns the script's outcome. */
#ifndef TEST_QMP_FAKEPEER_H
#define TEST_QMP_FAKEPEER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct fakepeer {
	char path[108];
	int lfd;       /* listening socket (-1 before bind) */
	int fd;	       /* the accepted client */
	pthread_t th;
	void (*script)(struct fakepeer *p);
	void *arg;
	char failed[512]; /* "" while every step succeeded */
	char rbuf[1 << 16];
	size_t rlen;
	int delay_bind_ms; /* create the socket this late (connect retry test) */
	int done;	   /* the script has returned: read with fakepeer_done() */
};

#define PEER_GREETING                                                                     \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* Binds path (unless p->delay_bind_ms: then the thread binds that late) and starts the
 * script. p must be zero-initialised apart from delay_bind_ms. */
void fakepeer_start(struct fakepeer *p, const char *path, void (*script)(struct fakepeer *),
		    void *arg);
/* true once the script has returned and the client socket is closed (any thread) */
bool fakepeer_done(struct fakepeer *p);
/* Waits for the script; returns p->failed ("" = fine). Closes everything, unlinks path. */
const char *fakepeer_join(struct fakepeer *p);

/* steps; each returns false after recording a failure (then return from the script) */
bool peer_accept(struct fakepeer *p);
bool peer_send(struct fakepeer *p, const char *text);
/* sends text in pieces of the given sizes (0-terminated list; the rest in one piece) with a
 * short pause between pieces so that they arrive in separate reads */
bool peer_send_split(struct fakepeer *p, const char *text, const size_t *sizes);
/* reads one command line; checks "execute" == name; returns its id (>= 0) or -1 */
long peer_expect(struct fakepeer *p, const char *name, json_t **ret_msg);
bool peer_reply(struct fakepeer *p, long id, const char *return_json);
bool peer_error(struct fakepeer *p, long id, const char *cls, const char *desc);
/* greeting + qmp_capabilities + its reply */
bool peer_handshake(struct fakepeer *p);
/* waits until the client closes (EOF) within ms; false on timeout */
bool peer_wait_eof(struct fakepeer *p, int ms);
void peer_close(struct fakepeer *p);

#endif
