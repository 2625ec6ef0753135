#include "render.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "feeds.h"
#include "model.h"
#include "repo.h"
#include "xmlout.h"

/*
 * What a page knows about itself, handed to the template as the innermost context (see
 * templates/README.md). Relative links start from `root`, so the site works from file:// and
 * under any path prefix.
 */
struct page {
	const char *template;      /* "entry.html" */
	const char *relpath;       /* where it goes: "2014/raised-to-severe/index.html" */
	const char *title;
	json_t *feed;              /* the feed it advertises */
	const char *object_key;    /* "entry", "scope", "page" or "moved_to", or NULL */
	json_t *object;
	const char *canonical;     /* the folder of its canonical URL; NULL for its own */
};

/* "../" once per folder in relpath: "2014/x/index.html" -> "../../". */
static void
root_of(struct buf *out, const char *relpath)
{
	for (const char *p = relpath; *p; p++)
		if (*p == '/')
			buf_puts(out, "../");
}

/* One template's reach (template_deps) and the digest of what it sees of the root context. */
struct reach {
	const char *template;
	struct template_deps *deps;
	char root[41];
};

struct memo_state {
	const struct render_memo *memo;
	struct reach **reach;      /* each its own allocation: workers keep pointers to them */
	size_t nreach;
	struct buf ser;
	int have_all;       /* every entry's content_html is in the model */
};

/* An entry's HTML is derived from its source blob alone: its id stands in for it. */
static json_t *
stand_in(void *arg, json_t *obj, const char *key)
{
	(void)arg;
	return strcmp(key, "content_html") == 0 ? json_object_get(obj, "source_id") : NULL;
}

static const struct template_deps_hooks hooks = { stand_in, NULL };

static struct reach *
reach_of(struct memo_state *m, const json_t *model, const struct template_set *t, const char *name)
{
	struct reach *r;

	for (size_t i = 0; i < m->nreach; i++)
		if (strcmp(m->reach[i]->template, name) == 0)
			return m->reach[i];
	m->reach = xreallocarray(m->reach, m->nreach + 1, sizeof(*m->reach));
	r = m->reach[m->nreach++] = xcalloc(1, sizeof(*r));
	r->template = name;
	r->deps = template_deps_new(t, name);
	buf_reset(&m->ser);
	buf_printf(&m->ser, "%s\n%s\n", m->memo->seed, name);
	/*
	 * A template that sees much of the model (the history page sees every announcement) changes
	 * with almost any commit: digesting it would cost about as much as rendering it.
	 */
	if (template_deps_put(&m->ser, r->deps, (json_t *)model, &hooks) < 0 ||
	    repo_hash_bytes(r->root, m->ser.ptr, m->ser.len) < 0)
		r->root[0] = '\0';
	return r;
}

/* The digest of everything page ctx can show (through reach r), in tag; 0, or -1 when none. */
static int
page_digest(char tag[41], const struct reach *r, struct buf *ser, json_t *ctx)
{
	if (!r->root[0])
		return -1;
	buf_reset(ser);
	buf_printf(ser, "%s\n", r->root);
	if (template_deps_put(ser, r->deps, ctx, &hooks) < 0 ||
	    repo_hash_bytes(tag, ser->ptr, ser->len) < 0)
		return -1;
	return 0;
}

static int
is_entry_page(const struct page *p)
{
	return p->object_key && strcmp(p->object_key, "entry") == 0;
}

/* The page's own context: root, title, canonical, feed and its object (templates/README.md). */
static json_t *
page_context(const json_t *model, const struct page *p)
{
	json_t *ctx = json_object();
	const json_t *site = json_object_get(model, "site");
	const char *site_title = json_string_value(json_object_get(site, "title"));
	const char *dir_end = strrchr(p->relpath, '/');
	struct buf s = BUF_INIT;

	root_of(&s, p->relpath);
	json_object_set_new(ctx, "root", json_string(s.ptr ? s.ptr : ""));
	buf_reset(&s);
	if (p->title && strcmp(p->title, site_title) != 0)
		buf_printf(&s, "%s \xe2\x80\x93 %s", p->title, site_title);
	else
		buf_puts(&s, site_title);
	json_object_set_new(ctx, "title", json_string(s.ptr));
	buf_reset(&s);
	/* The canonical URL is the folder, as web servers serve index.html there. */
	if (p->canonical)
		buf_printf(&s, "%s%s", json_string_value(json_object_get(site, "url")), p->canonical);
	else
		buf_printf(&s, "%s%.*s", json_string_value(json_object_get(site, "url")),
			   dir_end ? (int)(dir_end - p->relpath + 1) : 0, p->relpath);
	json_object_set_new(ctx, "canonical", json_string(s.ptr));
	json_object_set(ctx, "feed", p->feed);
	if (p->object_key)
		json_object_set(ctx, p->object_key, p->object);
	buf_release(&s);
	return ctx;
}

/*
 * What rendering one page came to, for the caller to stage. Its tag for the pages cache is the
 * digest of its inputs, and for an entry page with a key, "+" and that key; an entry page with
 * nothing recorded has "+" and its key alone (render_one).
 */
#define DIGEST_HEX 40
struct page_out {
	int kept;            /* the file on disk is current (the build cache says so) */
	int have_tag;
	char tag[2 * DIGEST_HEX + 2];
	char *html;          /* malloc'ed, unless kept */
	size_t len;
};

/*
 * The key part of a recorded tag ("DIGEST+KEY" or "+KEY"), or NULL when it has none. A cache from
 * elsewhere may hold any token: its length is checked before anything else.
 */
static const char *
tag_key(const char *known)
{
	size_t len = known ? strlen(known) : 0;

	if (len == 2 * DIGEST_HEX + 1 && known[DIGEST_HEX] == '+')
		return known + DIGEST_HEX + 1;
	return len == DIGEST_HEX + 1 && known[0] == '+' ? known + 1 : NULL;
}

/* Whether the tag recorded for a page names the same digest as tag (keys aside). */
static int
same_digest(const char *known, const char *tag)
{
	return known && strncmp(known, tag, DIGEST_HEX) == 0 &&
	       (known[DIGEST_HEX] == '\0' || tag_key(known));
}

/* What the pages cache holds for a page: its tag, when its file is as recorded (cache_pages_check). */
struct recorded {
	const char *tag;
	struct cache_page *page;
};

/*
 * Renders page p into po, or finds it unchanged. Safe to run on several threads at once: the model
 * is only read; an entry page whose entry has no HTML yet gets a copy of the entry with the HTML
 * (memo->html) instead of a changed model. rec, when the caller looked already, is what the cache
 * holds for p; key is the entry page's key, or NULL.
 */
static int
render_one(struct page_out *po, const json_t *model, const struct template_set *t,
	   const struct page *p, const struct render_memo *memo, const struct reach *r,
	   const char *key, const struct recorded *rec, struct buf *ser, struct diag *d)
{
	json_t *ctx = page_context(model, p), *view = NULL, *stack[2];
	struct buf html = BUF_INIT, body = BUF_INIT;
	struct recorded looked;
	int rc = -1;

	memset(po, 0, sizeof(*po));
	if (memo && memo->seed && r && !rec) {
		looked.tag = cache_pages_check(memo->pages, p->relpath, &looked.page);
		rec = &looked;
	}
	if (memo && memo->seed && r && key && !rec->tag) {
		/*
		 * Nothing recorded for the page (a first build, or its file changed): it is rendered
		 * whatever its digest. The key alone is recorded, as "+KEY", which matches no digest:
		 * the digests of every entry page were a twentieth of a first build's time, to be
		 * used only by a later build in which a page's key changed but its digest did not.
		 */
		po->have_tag = 1;
		po->tag[0] = '+';
		memcpy(po->tag + 1, key, DIGEST_HEX + 1);
	} else if (memo && memo->seed && r && page_digest(po->tag, r, ser, ctx) == 0) {
		po->have_tag = 1;
		if (key) {
			po->tag[DIGEST_HEX] = '+';
			memcpy(po->tag + DIGEST_HEX + 1, key, DIGEST_HEX + 1);
		}
		if (same_digest(rec->tag, po->tag)) {
			cache_pages_keep(rec->page);
			po->kept = 1;
			rc = 0;
			goto out;
		}
	}
	if (memo && memo->html && is_entry_page(p) && !json_object_get(p->object, "content_html")) {
		if (memo->html(memo->arg, p->object, &body, d) < 0)
			goto out;
		view = json_object();
		json_object_update(view, p->object);
		json_object_set_new(view, "content_html", json_stringn(body.ptr ? body.ptr : "", body.len));
		json_object_set(ctx, "entry", view);
	}
	stack[0] = (json_t *)model;
	stack[1] = ctx;
	if (template_render_page(&html, t, p->template, stack, 2, p->relpath, d) < 0)
		goto out;
	po->html = buf_detach(&html, &po->len);
	rc = 0;
out:
	json_decref(view);
	json_decref(ctx);
	buf_release(&body);
	buf_release(&html);
	return rc;
}

static int
stage_page(struct output *o, const char *relpath, struct page_out *po, struct diag *d)
{
	char *html = po->html;

	po->html = NULL;
	if (po->kept)
		return output_keep(o, relpath) < 0 || output_set_tag(o, relpath, po->tag) < 0 ? -1 : 0;
	if (output_add_owned(o, relpath, html, po->len) < 0)
		return diag_error(d, NULL, 0, 0, "out of memory staging '%s'", relpath);
	if (po->have_tag)
		output_set_tag(o, relpath, po->tag);
	return 0;
}

/*
 * Before a page that shows the HTML of entries other than its own (the history page, say, or an
 * entry page listing recent ones in full): every entry gets its HTML in the model, once.
 */
static int
need_all(struct memo_state *m, const json_t *model, const struct template_set *t,
	 const struct page *p, struct diag *d)
{
	json_t *e;
	size_t i;

	if (!m || !m->memo->need || m->have_all ||
	    !template_deps_reaches(reach_of(m, model, t, p->template)->deps, "content_html",
				   is_entry_page(p) ? "entry" : NULL))
		return 0;
	json_array_foreach(json_object_get(model, "entries"), i, e)
		if (m->memo->need(m->memo->arg, e, d) < 0)
			return -1;
	m->have_all = 1;
	return 0;
}

/* A page that is not an entry's: rendered and staged on this thread. */
static int
render_page(struct output *o, const json_t *model, const struct template_set *t,
	    const struct page *p, struct memo_state *m, struct diag *d)
{
	struct page_out po;
	int rc;

	if (need_all(m, model, t, p, d) < 0)
		return -1;
	rc = render_one(&po, model, t, p, m ? m->memo : NULL,
			m && m->memo->seed ? reach_of(m, model, t, p->template) : NULL, NULL, NULL,
			m ? &m->ser : NULL, d);
	if (rc == 0)
		rc = stage_page(o, p->relpath, &po, d);
	free(po.html);
	return rc;
}

/* --- entry pages, on every core ------------------------------------------------------------- */

/*
 * Entry pages are most of a site and independent of each other: worker threads render them while
 * this thread stages the results in entry order, so the output and the messages come out the
 * same whatever the timing. At most ENTRY_WINDOW rendered pages wait to be staged, which bounds
 * the memory they hold; pages kept unrendered hold none and do not count.
 */
#define ENTRY_WINDOW 64
#define ENTRY_WORKERS 8
/*
 * Staging a page takes a fraction of the time rendering one does, so the staging thread would
 * otherwise sleep and be woken for every page: it waits for this many more, well inside the window.
 */
#define ENTRY_BATCH 16
_Static_assert(ENTRY_BATCH < ENTRY_WINDOW, "a batch must fit in the window, or the wait never ends");

/* Workers share the model's values, so their reference counts must be atomic. */
#if !JANSSON_THREAD_SAFE_REFCOUNT
#error "threatfeed renders on several threads and needs jansson's atomic reference counts"
#endif

struct entry_job {
	int done;
	int rc;
	char *relpath;
	struct page_out out;
	char *msgs;                /* what the page said, replayed in order */
	size_t errors, warnings;
};

struct entry_pool {
	const json_t *model;
	const struct template_set *t;
	json_t *entries, *feed;
	const struct render_memo *memo;
	const struct reach *reach;
	char keys_root[DIGEST_HEX + 1];  /* what entry pages share of their inputs, or "" */
	int quiet;
	size_t n;
	struct entry_job *jobs;
	pthread_mutex_t lock;
	pthread_cond_t ready, room;
	size_t next;               /* the next job to take */
	size_t held;               /* jobs done with their HTML, not staged yet */
	size_t want;               /* the job the staging thread waits for, or SIZE_MAX */
	size_t want_too;           /* ... and the later one it waits for as well, to wake less */
	int room_waiters;
	int stop;
};

/*
 * What every entry page is made from besides its entry and its own path: the template's reach
 * into the model (its digest covers the binary and the templates), the settings (the entries are
 * made from them, and each page's title and canonical URL from the site's title and address) and
 * what the template sees of the feed. "" when there is no reach.
 */
static void
keys_root(char out[DIGEST_HEX + 1], const struct reach *r, json_t *feed, const char *settings_id,
	  struct buf *ser)
{
	json_t *ctx = json_object();

	json_object_set(ctx, "feed", feed);
	buf_reset(ser);
	buf_printf(ser, "entry pages\n%s\n%s\n", r->root, settings_id);
	if (!r->root[0] || !ser->ptr || template_deps_put(ser, r->deps, ctx, &hooks) < 0 ||
	    repo_hash_bytes(out, ser->ptr, ser->len) < 0)
		out[0] = '\0';
	json_decref(ctx);
}

static int
render_entry(struct entry_pool *pool, size_t i, struct buf *ser, struct diag *d)
{
	struct entry_job *job = &pool->jobs[i];
	json_t *item = json_array_get(pool->entries, i);
	struct page p = { "entry.html", NULL, json_string_value(json_object_get(item, "title")),
			  pool->feed, "entry", item, NULL };
	struct buf path = BUF_INIT;
	char key[DIGEST_HEX + 1];
	struct recorded rec;
	int rc, have_key = 0;

	buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "path")));
	job->relpath = buf_detach(&path, NULL);
	p.relpath = job->relpath;
	if (pool->keys_root[0] && i < pool->memo->nkeys && pool->memo->keys[i][0]) {
		/* The page's key: all it is made from, if its entry is made from what the key says. */
		buf_reset(ser);
		buf_printf(ser, "%s\n%s\n%s", pool->keys_root, pool->memo->keys[i], job->relpath);
		if (ser->ptr && repo_hash_bytes(key, ser->ptr, ser->len) == 0) {
			rec.tag = cache_pages_check(pool->memo->pages, job->relpath, &rec.page);
			if (tag_key(rec.tag) && strcmp(tag_key(rec.tag), key) == 0) {
				cache_pages_keep(rec.page);
				memset(&job->out, 0, sizeof(job->out));
				job->out.kept = job->out.have_tag = 1;
				memcpy(job->out.tag, rec.tag, strlen(rec.tag) + 1);
				return 0;
			}
			have_key = 1;
		}
	}
	/* The page's context and copy of its entry are dead once it is rendered. */
	arena_scratch_begin();
	rc = render_one(&job->out, pool->model, pool->t, &p, pool->memo, pool->reach,
			have_key ? key : NULL, have_key ? &rec : NULL, ser, d);
	arena_scratch_end();
	return rc;
}

static void *
entry_worker(void *arg)
{
	struct entry_pool *pool = arg;
	struct buf ser = BUF_INIT;
	char *msgs;
	size_t msglen;
	struct diag d;

	diag_init_memory(&d, &msgs, &msglen, pool->quiet);
	for (;;) {
		struct entry_job *job;
		size_t i, said, errors = d.errors, warnings = d.warnings;

		pthread_mutex_lock(&pool->lock);
		while (!pool->stop && pool->next < pool->n && pool->held >= ENTRY_WINDOW) {
			pool->room_waiters++;
			pthread_cond_wait(&pool->room, &pool->lock);
			pool->room_waiters--;
		}
		if (pool->stop || pool->next >= pool->n) {
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		i = pool->next++;
		pthread_mutex_unlock(&pool->lock);

		job = &pool->jobs[i];
		fflush(d.out);
		said = msglen;
		job->rc = render_entry(pool, i, &ser, &d);
		fflush(d.out);
		if (msglen > said)
			job->msgs = xstrndup(msgs + said, msglen - said);
		job->errors = d.errors - errors;
		job->warnings = d.warnings - warnings;

		pthread_mutex_lock(&pool->lock);
		job->done = 1;
		pool->held += job->out.html != NULL;
		if (pool->want != SIZE_MAX && pool->jobs[pool->want].done &&
		    pool->jobs[pool->want_too].done)
			pthread_cond_signal(&pool->ready);
		pthread_mutex_unlock(&pool->lock);
	}
	fclose(d.out);
	free(msgs);
	buf_release(&ser);
	arena_thread_done();
	return NULL;
}

/*
 * Waits for job i, lets the workers go on, and replays what the page said. With batch, a wait for
 * job i lasts until job i + batch is done too (or the last one), so that the pages in between are
 * staged without waiting again; the workers take jobs in order and the window holds them all.
 */
static struct entry_job *
take_job(struct entry_pool *pool, size_t i, size_t batch, struct diag *d)
{
	struct entry_job *job = &pool->jobs[i];
	size_t too = pool->n - i > batch ? i + batch : pool->n - 1;

	pthread_mutex_lock(&pool->lock);
	if (!job->done) {
		pool->want = i;
		pool->want_too = too;
		while (!job->done || !pool->jobs[too].done)
			pthread_cond_wait(&pool->ready, &pool->lock);
	}
	pool->want = SIZE_MAX;
	pool->held -= job->out.html != NULL;
	/* Half a window of room before waking them, so they are not woken once per page. */
	if (pool->room_waiters && pool->held <= ENTRY_WINDOW / 2)
		pthread_cond_broadcast(&pool->room);
	pthread_mutex_unlock(&pool->lock);
	if (job->msgs)
		fputs(job->msgs, d->out);
	d->errors += job->errors;
	d->warnings += job->warnings;
	return job;
}

/*
 * Stages every entry page, rendered by worker threads. meanwhile runs on this thread once they
 * have started, before the first entry page is staged: it may render and stage other pages, as
 * long as it changes nothing in the model.
 */
static int
render_entries(struct output *o, const json_t *model, const struct template_set *t,
	       struct memo_state *m, json_t *feed, int (*meanwhile)(void *arg), void *arg,
	       struct diag *d)
{
	struct entry_pool pool = { .model = model, .t = t, .feed = feed, .quiet = d->quiet,
				   .want = SIZE_MAX };
	const struct page first = { "entry.html", "", NULL, feed, "entry", NULL, NULL };
	pthread_t tid[ENTRY_WORKERS];
	int started[ENTRY_WORKERS] = { 0 };
	int nw, running = 0, rc = 0;
	size_t i;

	pool.entries = json_object_get(model, "entries");
	pool.n = json_array_size(pool.entries);
	if (!pool.n)
		return meanwhile(arg);
	/* Whatever the workers share is made here first: the template's reach, the model's HTML. */
	if (need_all(m, model, t, &first, d) < 0)
		return -1;
	pool.memo = m ? m->memo : NULL;
	pool.reach = m && m->memo->seed ? reach_of(m, model, t, "entry.html") : NULL;
	if (pool.reach && pool.memo->keys && m->memo->pages)
		keys_root(pool.keys_root, pool.reach, feed, pool.memo->settings_id, &m->ser);
	pool.jobs = xcalloc(pool.n, sizeof(*pool.jobs));
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.ready, NULL);
	pthread_cond_init(&pool.room, NULL);
	nw = (int)thread_count(pool.n, ENTRY_WORKERS);
	for (int w = 0; nw > 1 && w < nw; w++)
		running += started[w] = pthread_create(&tid[w], NULL, entry_worker, &pool) == 0;
	rc = meanwhile(arg);
	for (i = 0; i < pool.n && rc == 0; i++) {
		struct entry_job *job;

		if (!running) {
			/* No threads (one core, or none would start): each page in turn, here. */
			pool.jobs[i].rc = render_entry(&pool, i, m ? &m->ser : NULL, d);
			pool.jobs[i].done = 1;
			pool.held += pool.jobs[i].out.html != NULL;
			pool.next = i + 1;
		}
		job = take_job(&pool, i, running ? ENTRY_BATCH : 0, d);
		rc = job->rc < 0 ? -1 : stage_page(o, job->relpath, &job->out, d);
		free(job->relpath);
		job->relpath = NULL;
	}
	pthread_mutex_lock(&pool.lock);
	pool.stop = 1;
	pthread_cond_broadcast(&pool.room);
	pthread_mutex_unlock(&pool.lock);
	for (int w = 0; w < nw; w++)
		if (started[w])
			pthread_join(tid[w], NULL);
	for (; i < pool.n; i++) {
		free(pool.jobs[i].relpath);
		free(pool.jobs[i].out.html);
	}
	for (i = 0; i < pool.n; i++)
		free(pool.jobs[i].msgs);
	free(pool.jobs);
	pthread_cond_destroy(&pool.room);
	pthread_cond_destroy(&pool.ready);
	pthread_mutex_destroy(&pool.lock);
	return rc;
}

typedef int (*feed_writer)(struct buf *out, const json_t *site, const json_t *feed);

static int
stage(struct output *o, const char *dir, const char *name, struct buf *data, struct diag *d)
{
	struct buf path = BUF_INIT;
	char *bytes;
	size_t len;
	int rc;

	buf_printf(&path, "%s%s", dir, name);
	bytes = buf_detach(data, &len);
	rc = output_add_owned(o, path.ptr, bytes, len);
	if (rc < 0)
		diag_error(d, NULL, 0, 0, "out of memory staging '%s'", path.ptr);
	buf_release(&path);
	return rc;
}

/* The feeds and level.json, and the sitemap's files already written (render_fixed). */
static int
render_feeds(struct output *o, const json_t *model, struct sitemap *sitemap, struct diag *d)
{
	static const struct {
		const char *name;
		feed_writer write;
	} writers[] = { { "atom.xml", atom_write }, { "rss.xml", rss_write },
			{ "feed.json", jsonfeed_write } };
	const json_t *site = json_object_get(model, "site");
	json_t *feed;
	size_t i, w;
	struct buf data = BUF_INIT;

	json_array_foreach(json_object_get(model, "feeds"), i, feed) {
		const char *dir = json_string_value(json_object_get(feed, "dir"));

		for (w = 0; w < sizeof(writers) / sizeof(*writers); w++) {
			if (writers[w].write(&data, site, feed) < 0) {
				buf_release(&data);
				return diag_error(d, NULL, 0, 0, "cannot write '%s%s'", dir, writers[w].name);
			}
			if (stage(o, dir, writers[w].name, &data, d) < 0)
				return -1;
		}
	}
	if (levels_json_write(&data, model) < 0) {
		buf_release(&data);
		return diag_error(d, NULL, 0, 0, "cannot write 'level.json'");
	}
	if (stage(o, "", "level.json", &data, d) < 0)
		return -1;
	for (i = 0; i < sitemap->n; i++)
		if (stage(o, "", sitemap->files[i].name, &sitemap->files[i].data, d) < 0)
			return -1;
	return 0;
}

struct fixed_pages {
	struct output *o;
	const json_t *model;
	const struct template_set *t;
	const struct page *pages;
	size_t n;
	struct memo_state *m;
	struct diag *d;
	struct sitemap sitemap;    /* written here, staged with the feeds */
};

struct sitemap_job {
	struct sitemap *out;
	const json_t *model;
	int rc;
};

static void *
sitemap_run(void *arg)
{
	struct sitemap_job *job = arg;

	job->rc = sitemap_write(job->out, job->model, NULL);
	return NULL;
}

/*
 * The fixed pages, staged, and the sitemap, which only needs the model as it is: on a thread of
 * its own, as it takes as long as the history page (each lists every announcement).
 */
static int
render_fixed(void *arg)
{
	struct fixed_pages *fp = arg;
	struct sitemap_job job = { &fp->sitemap, fp->model, 0 };
	pthread_t tid;
	int threaded, rc = 0;

	xmlout_init();
	threaded = pthread_create(&tid, NULL, sitemap_run, &job) == 0;
	for (size_t i = 0; i < fp->n && rc == 0; i++)
		rc = render_page(fp->o, fp->model, fp->t, &fp->pages[i], fp->m, fp->d);
	if (threaded)
		pthread_join(tid, NULL);
	else
		sitemap_run(&job);
	if (rc < 0)
		return -1;
	if (job.rc < 0)
		return diag_error(fp->d, NULL, 0, 0, "cannot write 'sitemap.xml'");
	return 0;
}

/*
 * A page at each old address of an announcement or free page (its "aliases") that sends readers
 * on to where it is now: links and bookmarks made before a file was renamed keep working.
 */
static int
render_moved(struct output *o, const json_t *model, const struct template_set *t,
	     json_t *to, json_t *feed, struct memo_state *m, struct diag *d)
{
	struct buf path = BUF_INIT;
	json_t *old;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(to, "aliases"), i, old) {
		struct page p = { "moved.html", NULL, json_string_value(json_object_get(to, "title")),
				  feed, "moved_to", to, json_string_value(json_object_get(to, "path")) };

		buf_reset(&path);
		buf_printf(&path, "%sindex.html", json_string_value(old));
		p.relpath = path.ptr;
		if ((rc = render_page(o, model, t, &p, m, d)) < 0)
			break;
	}
	buf_release(&path);
	return rc;
}

int
render_site(struct output *o, const json_t *model, const struct template_set *t, struct diag *d)
{
	return render_site_memo(o, model, t, NULL, d);
}

int
render_site_memo(struct output *o, const json_t *model, const struct template_set *t,
		 const struct render_memo *memo, struct diag *d)
{
	struct memo_state ms = { memo, NULL, 0, BUF_INIT, 0 }, *m = memo ? &ms : NULL;
	json_t *site_feed = json_array_get(json_object_get(model, "feeds"), 0);
	json_t *item;
	size_t i;
	struct buf path = BUF_INIT;
	int rc = -1;
	const struct page fixed[] = {
		{ "index.html", "index.html", NULL, site_feed, NULL, NULL, NULL },
		{ "history.html", "history/index.html", "History", site_feed, NULL, NULL, NULL },
		{ "levels.html", "levels/index.html", "What the levels mean", site_feed, NULL, NULL, NULL },
		{ "style.css", "style.css", NULL, site_feed, NULL, NULL, NULL },
		{ "robots.txt", "robots.txt", NULL, site_feed, NULL, NULL, NULL },
	};
	struct fixed_pages fp = { o, model, t, fixed, sizeof(fixed) / sizeof(*fixed), m, d, SITEMAP_INIT };

	/*
	 * The fixed pages render while the workers start on the entry pages: whatever they need
	 * that changes the model (every entry's HTML, their reach) is done first, by the same
	 * need_all that render_page calls, which then finds nothing left to do.
	 */
	for (i = 0; i < fp.n; i++) {
		if (need_all(m, model, t, &fixed[i], d) < 0)
			goto out;
		if (m && m->memo->seed)
			reach_of(m, model, t, fixed[i].template);
	}
	if (render_entries(o, model, t, m, site_feed, render_fixed, &fp, d) < 0)
		goto out;
	if (json_is_true(json_object_get(json_object_get(model, "site"), "multiple_scopes"))) {
		json_array_foreach(json_object_get(model, "scopes"), i, item) {
			struct page p = { "scope.html", NULL,
					  json_string_value(json_object_get(item, "title")),
					  json_object_get(item, "feed"), "scope", item, NULL };

			buf_reset(&path);
			buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "dir")));
			p.relpath = path.ptr;
			if (render_page(o, model, t, &p, m, d) < 0)
				goto out;
		}
	}
	json_array_foreach(json_object_get(model, "pages"), i, item) {
		struct page p = { "page.html", NULL, json_string_value(json_object_get(item, "title")),
				  site_feed, "page", item, NULL };

		buf_reset(&path);
		buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "path")));
		p.relpath = path.ptr;
		if (render_page(o, model, t, &p, m, d) < 0 ||
		    render_moved(o, model, t, item, site_feed, m, d) < 0)
			goto out;
	}
	json_array_foreach(json_object_get(model, "entries"), i, item)
		if (json_object_get(item, "aliases") &&
		    render_moved(o, model, t, item, site_feed, m, d) < 0)
			goto out;
	if (memo && memo->need) {
		json_t *feed, *e;
		size_t k;

		json_array_foreach(json_object_get(model, "feeds"), i, feed)
			json_array_foreach(json_object_get(feed, "entries"), k, e)
				if (memo->need(memo->arg, e, d) < 0)
					goto out;
	}
	rc = render_feeds(o, model, &fp.sitemap, d);
out:
	for (i = 0; i < ms.nreach; i++) {
		template_deps_free(ms.reach[i]->deps);
		free(ms.reach[i]);
	}
	free(ms.reach);
	buf_release(&ms.ser);
	buf_release(&path);
	sitemap_release(&fp.sitemap);
	return rc;
}
