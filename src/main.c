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
#include "util.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_CONTENT = 1,   /* content, settings or I/O error: nothing was written */
	EXIT_USAGE = 2,
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

static const struct command commands[] = {
	{ "build", "build [-C REPO] [--ref REF | --worktree] [-o DIR] [-q | -v] [--dump-model]",
	  "Generate the site from the committed content.\n"
	  "  -C, --repo REPO   the repository (default: found upward from the current folder)\n"
	  "      --ref REF     build the tree of this commit (default: HEAD)\n"
	  "      --worktree    build the files on disk, committed or not (previews only)\n"
	  "  -o, --output DIR  the site folder (default: site inside REPO)\n"
	  "  -q, --quiet       print nothing on success\n"
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
	      "exit status: 0 success, 1 content or settings error (nothing written), 2 usage error\n"
	      "'threatfeed help COMMAND' describes each command's options.\n", out);
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

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

enum { OPT_REF = 256, OPT_WORKTREE, OPT_STAGED, OPT_DUMP_MODEL };

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, snapshots = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, is_build ? ":C:o:qvh" : ":C:h", longopts, NULL)) != -1) {
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
			if (is_build)
				return usage_error(command, "unknown option '%s'", "--staged");
			opt->snapshot = REPO_SNAPSHOT_INDEX;
			snapshots++;
			break;
		case 'o':
			opt->out_dir = optarg;
			break;
		case 'q':
			opt->quiet = 1;
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case OPT_DUMP_MODEL:
			if (!is_build)
				return usage_error(command, "unknown option '%s'", "--dump-model");
			opt->dump_model = 1;
			break;
		case 'h':
			fputs(find_command(command)->help, stdout);
			exit(EXIT_OK);
		case ':':
			return usage_error(command, "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error(command, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(command, "unexpected argument '%s'", argv[optind]);
	if (snapshots > 1)
		return usage_error(command, "%s", "--ref, --worktree and --staged exclude each other");
	if (opt->quiet && opt->verbose)
		return usage_error(command, "%s", "--quiet and --verbose exclude each other");
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
	if (build_run(&opt, &d) < 0 || d.errors) {
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
run_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!(c = find_command(argv[1])))
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	printf("usage: threatfeed %s\n\n%s", c->synopsis, c->help);
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
