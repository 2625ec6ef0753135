/*
 * main: the command line and nothing else: arguments, subcommands, help text, exit statuses.
 * The only place that decides the exit status.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "hooks.h"
#include "new.h"
#include "util.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_CONTENT = 1,   /* content, settings or I/O error: nothing was written, unless said */
	EXIT_USAGE = 2,
	EXIT_PING = 3,      /* an endpoint failed after its retries: the site itself is fine */
};

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*run)(int argc, char **argv);
};

static int run_build(int argc, char **argv);
static int run_check(int argc, char **argv);
static int run_help(int argc, char **argv);
static int run_ping(int argc, char **argv);
static int run_new(int argc, char **argv);
static int run_hooks(int argc, char **argv);

static const struct command commands[] = {
	{ "build", "build [-C REPO] [--ref REF | --worktree] [-o DIR] [--ping] [-q | -v] [--dump-model]",
	  "Generate the site from the committed content.\n"
	  "  -C, --repo REPO   the repository (default: found upward from the current folder)\n"
	  "      --ref REF     build the tree of this commit (default: HEAD)\n"
	  "      --worktree    build the files on disk, committed or not (previews only)\n"
	  "  -o, --output DIR  the site folder (default: site inside REPO)\n"
	  "      --ping        once the files are in place, ping about the changed feeds\n"
	  "                    (see 'threatfeed help ping'; exit status 3 if an endpoint failed)\n"
	  "  -q, --quiet       print no summary (warnings and errors still go to stderr)\n"
	  "  -v, --verbose     print more\n"
	  "      --dump-model  print the site model as JSON instead of writing the site\n",
	  run_build },
	{ "check", "check [-C REPO] [--ref REF | --worktree | --staged]",
	  "Validate the content and settings as a build would, writing nothing.\n"
	  "  -C, --repo REPO   the repository (default: found upward from the current folder)\n"
	  "      --ref REF     check the tree of this commit (default: HEAD)\n"
	  "      --worktree    check the files on disk\n"
	  "      --staged      check what 'git commit' would commit (the index)\n",
	  run_check },
	{ "new", "new LEVEL [-C REPO] [--scope S] [--title T] [--date D] [--edit]",
	  "Write a new announcement, content/levels/DATE[-SCOPE]-LEVEL.md, with complete front\n"
	  "matter and a fixed id, and print its path. Never replaces an existing file. Its body\n"
	  "is a line to replace with the announcement: 'check' and 'build' refuse it until then.\n"
	  "  -C, --repo REPO   the repository (default: found upward from the current folder)\n"
	  "      --scope S     the scope (required when the site has several)\n"
	  "      --title T     the title (default: derived from the level when published)\n"
	  "      --date D      when the level took effect, RFC 3339 with an offset\n"
	  "                    (default: now, in the local offset)\n"
	  "      --edit        then open the file in $VISUAL or $EDITOR (default vi)\n",
	  run_new },
	{ "hooks", "hooks install [-C REPO] [--deploy DIR] [--branch BRANCH]",
	  "Install the Git hooks that fit the repository. In a checkout: pre-commit, which runs\n"
	  "'threatfeed check --staged'. In a bare repository: pre-receive, which refuses a push\n"
	  "whose new commit fails the check, and post-receive, which builds the pushed branch into\n"
	  "the deploy folder and pings. A hook threatfeed did not write is left as it is.\n"
	  "  -C, --repo REPO     the repository (default: found upward from the current folder)\n"
	  "      --deploy DIR    bare repository: build the site into DIR after each push\n"
	  "                      (kept in the repository's own config, threatfeed.deploy)\n"
	  "      --branch BRANCH bare repository: the published branch (default main;\n"
	  "                      kept as threatfeed.branch)\n",
	  run_hooks },
	{ "ping", "ping [-C REPO] [-o DIR] [--dry-run]",
	  "Tell the [ping] websub hubs and xmlrpc servers about every feed of the site folder\n"
	  "whose bytes changed since they were last told (or whose last ping failed): a WebSub\n"
	  "publish request, a weblogUpdates.extendedPing call. Nothing changed: nothing is sent.\n"
	  "Only public URLs and the site title are sent. An endpoint that answers with a\n"
	  "Retry-After of over a minute gets nothing until then (a day at most); its pings wait\n"
	  "for the first run after that. Exit status 3 if an endpoint still failed after\n"
	  "ping.retries retries, or pings were held back that way.\n"
	  "  -C, --repo REPO   the repository (default: found upward from the current folder)\n"
	  "  -o, --output DIR  the site folder (default: site inside REPO)\n"
	  "  -n, --dry-run     print what would be sent, send nothing\n",
	  run_ping },
	{ "help", "help [COMMAND]", "Show help for a command.\n", run_help },
};

#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

static void
usage(FILE *out)
{
	fputs("usage: threatfeed COMMAND [OPTIONS]\n\n"
	      "Publish a threat level as a static web site with Atom, RSS and JSON feeds,\n"
	      "from Markdown committed to a Git repository.\n\ncommands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  threatfeed %s\n", commands[i].synopsis);
	fputs("  threatfeed --help | --version\n\n"
	      "exit status: 0 success, 1 content, settings or I/O error, 2 usage error,\n"
	      "3 a ping failed (the site is fine)\n"
	      "'threatfeed help COMMAND' describes each command's options.\n", out);
}

/* What `help COMMAND` and `COMMAND -h` print alike: the usage line, then the options. */
static void
command_help(const struct command *c)
{
	printf("usage: threatfeed %s\n\n%s", c->synopsis, c->help);
}

static int usage_error(const char *command, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int
usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("threatfeed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (command)
		fprintf(stderr, " (see 'threatfeed help %s')\n", command);
	else
		fputs(" (see 'threatfeed --help')\n", stderr);
	return EXIT_USAGE;
}

/* -o "": what a hook runs with threatfeed.deploy set but empty; no folder can be that. */
static int
empty_output(const char *command)
{
	return usage_error(command, "option -o/--output needs a folder, not an empty value");
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * The options every command treats alike, once its own are handled: -h prints the command's help
 * and ends the program; a missing value or an unknown option is a usage error.
 */
static int
common_option(const char *command, int c, char **argv)
{
	switch (c) {
	case 'h':
		command_help(find_command(command));
		exit(EXIT_OK);
	case ':':
		return usage_error(command, "option '%s' needs a value", argv[optind - 1]);
	default:
		return usage_error(command, "unknown option '%s'", argv[optind - 1]);
	}
}

enum { OPT_REF = 256, OPT_WORKTREE, OPT_STAGED, OPT_DUMP_MODEL, OPT_PING };

static int
is_build_only(int c)
{
	return c == 'o' || c == 'q' || c == 'v' || c == OPT_DUMP_MODEL || c == OPT_PING;
}

/* The long name of option c, as it is in longopts. */
static const char *
long_name(const struct option *longopts, int c)
{
	for (; longopts->name; longopts++)
		if (longopts->val == c)
			return longopts->name;
	return "?";
}

/* Options of build and check; the few that only one of them takes are refused by the other. */
static int
parse_options(struct build_options *opt, const char *command, int argc, char **argv, int is_build)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'C' },
		{ "ref", required_argument, NULL, OPT_REF },
		{ "worktree", no_argument, NULL, OPT_WORKTREE },
		{ "staged", no_argument, NULL, OPT_STAGED },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dump-model", no_argument, NULL, OPT_DUMP_MODEL },
		{ "ping", no_argument, NULL, OPT_PING },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, snapshots = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, is_build ? ":C:o:qvh" : ":C:h", longopts, NULL)) != -1) {
		/*
		 * check's optstring leaves out -o, -q and -v, but every long form arrives here: one
		 * command's own options are unknown to the other.
		 */
		if (is_build ? c == OPT_STAGED : is_build_only(c))
			return usage_error(command, "unknown option '--%s'", long_name(longopts, c));
		switch (c) {
		case 'C':
			opt->repo_path = optarg;
			break;
		case OPT_REF:
			opt->ref = optarg;
			snapshots++;
			break;
		case OPT_WORKTREE:
			opt->snapshot = REPO_SNAPSHOT_WORKTREE;
			snapshots++;
			break;
		case OPT_STAGED:
			opt->snapshot = REPO_SNAPSHOT_INDEX;
			snapshots++;
			break;
		case 'o':
			if (!*optarg)
				return empty_output(command);
			opt->out_dir = optarg;
			break;
		case 'q':
			opt->quiet = 1;
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case OPT_DUMP_MODEL:
			opt->dump_model = 1;
			break;
		case OPT_PING:
			opt->ping = 1;
			break;
		default:
			return common_option(command, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(command, "unexpected argument '%s'", argv[optind]);
	if (snapshots > 1)
		return usage_error(command, "%s", "--ref, --worktree and --staged exclude each other");
	if (opt->quiet && opt->verbose)
		return usage_error(command, "%s", "--quiet and --verbose exclude each other");
	if (opt->ping && opt->dump_model)
		return usage_error(command, "%s", "--ping and --dump-model exclude each other");
	return EXIT_OK;
}

static int
run_build_or_check(int argc, char **argv, int is_build)
{
	struct build_options opt = { .snapshot = REPO_SNAPSHOT_COMMIT, .write = is_build };
	struct diag d;
	int rc;

	if ((rc = parse_options(&opt, is_build ? "build" : "check", argc, argv, is_build)) != EXIT_OK)
		return rc;
	diag_init(&d, stderr);
	/* With --ping, errors after a successful build are the pinger's: the site was written. */
	if ((rc = build_run(&opt, &d)) == 0 && d.errors && opt.ping)
		return EXIT_PING;
	if (rc == BUILD_PARTLY_WRITTEN) {
		fprintf(stderr, "threatfeed: the site is partly updated: some files were written before "
			"%s; the next build that succeeds completes it\n",
			d.errors > 1 ? "these problems" : "this problem");
		return EXIT_CONTENT;
	}
	if (rc < 0 || d.errors) {
		if (d.errors > 1)
			fprintf(stderr, "threatfeed: %zu problems found; nothing was written\n", d.errors);
		return EXIT_CONTENT;
	}
	return EXIT_OK;
}

static int
run_build(int argc, char **argv)
{
	return run_build_or_check(argc, argv, 1);
}

static int
run_check(int argc, char **argv)
{
	return run_build_or_check(argc, argv, 0);
}

static int
run_ping(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct build_options opt = { .snapshot = REPO_SNAPSHOT_COMMIT };
	struct diag d;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":C:o:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			opt.repo_path = optarg;
			break;
		case 'o':
			if (!*optarg)
				return empty_output("ping");
			opt.out_dir = optarg;
			break;
		case 'n':
			opt.ping_dry_run = 1;
			break;
		default:
			return common_option("ping", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("ping", "unexpected argument '%s'", argv[optind]);
	diag_init(&d, stderr);
	if (build_ping(&opt, &d) < 0)
		return EXIT_CONTENT;
	return d.errors ? EXIT_PING : EXIT_OK;
}

enum { OPT_SCOPE = 300, OPT_TITLE, OPT_DATE, OPT_EDIT, OPT_DEPLOY, OPT_BRANCH };

static int
run_new(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'C' },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "edit", no_argument, NULL, OPT_EDIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct new_options opt = { NULL, NULL, NULL, NULL, NULL, 0 };
	struct timestamp date;
	const char *why;
	struct diag d;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			opt.repo_path = optarg;
			break;
		case OPT_SCOPE:
			opt.scope = optarg;
			break;
		case OPT_TITLE:
			opt.title = optarg;
			break;
		case OPT_DATE:
			/* Worded as a date in front matter is: the reason says what was expected. */
			if (date_parse_rfc3339(&date, optarg, &why, NULL) < 0)
				return usage_error("new", "invalid --date '%s': %s", optarg, why);
			opt.date = &date;
			break;
		case OPT_EDIT:
			opt.edit = 1;
			break;
		default:
			return common_option("new", c, argv);
		}
	}
	if (optind == argc)
		return usage_error("new", "%s", "missing LEVEL (e.g. 'threatfeed new severe')");
	if (optind + 1 < argc)
		return usage_error("new", "unexpected argument '%s'", argv[optind + 1]);
	opt.level = argv[optind];
	diag_init(&d, stderr);
	return new_run(&opt, &d) < 0 || d.errors ? EXIT_CONTENT : EXIT_OK;
}

static int
run_hooks(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'C' },
		{ "deploy", required_argument, NULL, OPT_DEPLOY },
		{ "branch", required_argument, NULL, OPT_BRANCH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hooks_options opt = { NULL, NULL, NULL };
	struct diag d;
	int c;

	if (argc < 2 || strcmp(argv[1], "install") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			command_help(find_command("hooks"));
			return EXIT_OK;
		}
		return usage_error("hooks", "%s", "expected 'hooks install'");
	}
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			opt.repo_path = optarg;
			break;
		case OPT_DEPLOY:
			opt.deploy = optarg;
			break;
		case OPT_BRANCH:
			opt.branch = optarg;
			break;
		default:
			return common_option("hooks", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("hooks", "unexpected argument '%s'", argv[optind]);
	diag_init(&d, stderr);
	return hooks_install(&opt, &d) < 0 || d.errors ? EXIT_CONTENT : EXIT_OK;
}

static int
run_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!(c = find_command(argv[1])))
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	command_help(c);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("threatfeed " THREATFEED_VERSION);
		return EXIT_OK;
	}
	if (!(c = find_command(argv[1])))
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	return c->run(argc - 1, argv + 1);
}
