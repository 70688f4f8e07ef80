/* test_hooksrc.c - each sender's webhook payload translated into a signal.
 *
 * The payloads are the senders' own published examples, read from
 * shared/fixtures/webhooks (SOURCES.md there says where each comes from),
 * found from this file's folder so the suite runs from the repository
 * root. Expected values were read off the fixtures by hand. Argo CD and
 * the generic format have no published payload: their bodies are written
 * here as shiplog's template (docs/hooks/argocd.yaml) and document
 * (docs/hooks/generic.md) render them. */
#include <jansson.h>
#include <stdlib.h>

#include "core/validate.h"
#include "http/hooks.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The fixtures folder, from this file's: tests/unit/../../../shared/...
 * is the shared folder beside the repository. */
static const char *fixtures(void)
{
	static char dir[1024];
	const char *slash = strrchr(__FILE__, '/');
	int n = slash ? (int)(slash - __FILE__) : 1;

	snprintf(dir, sizeof(dir), "%.*s/../../../shared/fixtures/webhooks", n,
		 slash ? __FILE__ : ".");
	return dir;
}

/* A fixture's JSON, or the end of the run: a missing fixture is a broken
 * checkout, and passing without it would prove nothing. */
static json_t *fixture(const char *name)
{
	char path[1200];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", fixtures(), name);
	j = json_load_file(path, 0, &jerr);
	if (!j) {
		fprintf(stderr,
			"FATAL: webhook fixture %s cannot be read (%s, line "
			"%d): the fixtures live in shared/fixtures/webhooks "
			"beside the repository\n",
			path, jerr.text, jerr.line);
		abort();
	}
	return j;
}

/* Test text that must parse. */
static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j) {
		fprintf(stderr, "bad JSON in test: %s\n", jerr.text);
		abort();
	}
	return j;
}

/* Translates body, checking that it succeeds; frees body. */
static struct sl_signal translate(enum sl_hook_source s, const char *event,
				  json_t *body)
{
	struct sl_signal sig;
	struct sl_error err = {0};

	CHECK_INT(sl_hook_translate(s, event, body, &sig, &err), SL_OK);
	if (err.code)
		fprintf(stderr, "  unexpected error: %s: %s\n", err.field,
			err.message);
	json_decref(body);
	return sig;
}

/* Translates body, checking that it is refused for field; frees body. */
static void refused(enum sl_hook_source s, const char *event, json_t *body,
		    const char *field)
{
	struct sl_signal sig;
	struct sl_error err = {0};

	CHECK_INT(sl_hook_translate(s, event, body, &sig, &err), SL_EINVAL);
	CHECK_STR(err.field, field);
	CHECK(err.message[0] != '\0');
	json_decref(body);
}

/* Sets the string at a dotted path of j, for a variant of a fixture. */
static void set(json_t *j, const char *path, json_t *v)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		j = json_object_get(j, key);
		path = dot + 1;
	}
	json_object_set_new(j, path, v);
}

static const char *at(const struct sl_signal *sig, char *buf)
{
	return sig->at ? sl_time_format(sig->at, buf) : "";
}

#define CHECK_AT(sig, want)                                                    \
	do {                                                                   \
		char t_buf[SL_TIME_BUF];                                       \
		CHECK_STR(at(&(sig), t_buf), want);                            \
	} while (0)

#define CHECK_STATUS(sig, want)                                                \
	do {                                                                   \
		CHECK_INT((sig).has_status, 1);                                \
		CHECK_STR(sl_deploy_status_name((sig).status), want);          \
	} while (0)

#define CHECK_HAS(haystack, needle) CHECK(strstr(haystack, needle) != NULL)

/* ---- GitHub ---- */

#define HELLO	  "Codertocat/Hello-World"
#define HELLO_SHA "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
#define HELLO_DEPLOY                                                           \
	"https://api.github.com/repos/Codertocat/Hello-World/deployments/"     \
	"145988746"

TEST(github_deployment_created_is_a_queued_deployment)
{
	static const char *files[] = {
		"github/deployment.json",
		"github/deployment.with-installation.json"};

	for (size_t i = 0; i < COUNT(files); i++) {
		struct sl_signal sig = translate(SL_HOOK_GITHUB, "deployment",
						 fixture(files[i]));

		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STR(sig.event, "deployment");
		CHECK_STR(sig.repo, HELLO);
		CHECK_STR(sig.environment, "production");
		CHECK_STR(sig.sha, HELLO_SHA);
		CHECK_STR(sig.tag, ""); /* ref "master" is a branch */
		CHECK_STR(sig.external_id, "145988746");
		CHECK_STR(sig.delivery_id, ""); /* X-GitHub-Delivery has it */
		CHECK_STATUS(sig, "queued");
		CHECK_STR(sig.url, HELLO_DEPLOY);
		CHECK_AT(sig, "2019-05-15T15:20:53Z");
		CHECK_STR(sig.message, "GitHub deployment created");
	}
}

TEST(github_deployment_status_success_moves_the_same_deployment)
{
	static const char *files[] = {
		"github/deployment_status.json",
		"github/deployment_status.with-installation.json"};

	for (size_t i = 0; i < COUNT(files); i++) {
		struct sl_signal sig = translate(
			SL_HOOK_GITHUB, "deployment_status", fixture(files[i]));

		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STR(sig.event, "deployment_status");
		CHECK_STR(sig.repo, HELLO);
		CHECK_STR(sig.environment, "production");
		CHECK_STR(sig.sha, HELLO_SHA);
		CHECK_STR(sig.external_id, "145988746");
		CHECK_STATUS(sig, "succeeded");
		/* target_url is "" and environment_url absent here */
		CHECK_STR(sig.url, HELLO_DEPLOY);
		CHECK_AT(sig, "2019-05-15T15:20:55Z");
		CHECK_STR(sig.message, "GitHub deployment_status success");
	}
}

TEST(github_deployment_status_words_map_through_the_status_table)
{
	static const struct {
		const char *state, *status;
	} cases[] = {{"pending", "queued"},
		     {"queued", "queued"},
		     {"in_progress", "in_progress"},
		     {"failure", "failed"},
		     {"error", "failed"}};

	for (size_t i = 0; i < COUNT(cases); i++) {
		json_t *j = fixture("github/deployment_status.json");
		struct sl_signal sig;

		set(j, "deployment_status.state", json_string(cases[i].state));
		set(j, "deployment_status.description",
		    json_string("rolled out\nto 3 pods"));
		sig = translate(SL_HOOK_GITHUB, "deployment_status", j);
		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STATUS(sig, cases[i].status);
		CHECK_HAS(sig.message, ": rolled out to 3 pods");
	}
}

TEST(github_inactive_status_is_ignored_with_the_reason)
{
	json_t *j = fixture("github/deployment_status.json");
	struct sl_signal sig;

	set(j, "deployment_status.state", json_string("inactive"));
	sig = translate(SL_HOOK_GITHUB, "deployment_status", j);
	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "inactive");
	CHECK_HAS(sig.reason, "145988746");
	CHECK_STR(sig.external_id, "145988746"); /* still says which one */
}

TEST(github_deployment_status_prefers_the_target_url)
{
	json_t *j = fixture("github/deployment_status.json");
	struct sl_signal sig;

	set(j, "deployment_status.target_url",
	    json_string("https://ci.example/runs/7"));
	set(j, "deployment.ref", json_string("v1.4.0"));
	sig = translate(SL_HOOK_GITHUB, "deployment_status", j);
	CHECK_STR(sig.url, "https://ci.example/runs/7");
	CHECK_STR(sig.tag, "v1.4.0"); /* a ref that reads as a version */
}

TEST(github_workflow_runs_are_ci_not_deployments)
{
	static const char *files[] = {"github/workflow_run.completed.json",
				      "github/workflow_run.requested.json"};

	for (size_t i = 0; i < COUNT(files); i++) {
		struct sl_signal sig = translate(SL_HOOK_GITHUB, "workflow_run",
						 fixture(files[i]));

		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_STR(sig.repo, "octo-org/octo-repo");
		CHECK_STR(sig.sha, "3484a3fb816e0859fd6e1cea078d76385ff50625");
		CHECK_STR(sig.url, "https://github.com/octo-org/octo-repo/"
				   "actions/runs/289782451");
		CHECK_HAS(sig.reason, "workflow runs are CI, not deployments");
	}
}

TEST(github_release_published_created_prereleased_are_releases)
{
	static const struct {
		const char *file, *action;
	} cases[] = {{"github/release.published.json", "published"},
		     {"github/release.created.json", "created"},
		     {"github/release.prereleased.json", "prereleased"}};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_signal sig = translate(SL_HOOK_GITHUB, "release",
						 fixture(cases[i].file));
		char msg[64];

		CHECK_INT(sig.kind, SL_SIG_RELEASE);
		CHECK_STR(sig.repo, HELLO);
		CHECK_STR(sig.tag, "0.0.1");
		CHECK_STR(sig.sha, ""); /* target_commitish "master" */
		CHECK_STR(sig.url, "https://github.com/Codertocat/Hello-World/"
				   "releases/tag/0.0.1");
		CHECK_AT(sig, "2019-05-15T15:20:53Z"); /* published_at */
		CHECK_INT(sig.has_status, 0);
		snprintf(msg, sizeof(msg), "GitHub release %s: 0.0.1",
			 cases[i].action);
		CHECK_STR(sig.message, msg);
	}
}

TEST(github_release_target_commitish_is_the_commit_only_when_it_is_one)
{
	json_t *j = fixture("github/release.published.json");
	struct sl_signal sig;

	set(j, "release.target_commitish", json_string(HELLO_SHA));
	sig = translate(SL_HOOK_GITHUB, "release", j);
	CHECK_STR(sig.sha, HELLO_SHA);
}

TEST(github_release_edits_deletions_and_drafts_are_ignored)
{
	static const char *actions[] = {"edited", "deleted", "unpublished",
					"bogus"};

	for (size_t i = 0; i < COUNT(actions); i++) {
		json_t *j = fixture("github/release.published.json");
		struct sl_signal sig;

		set(j, "action", json_string(actions[i]));
		sig = translate(SL_HOOK_GITHUB, "release", j);
		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_HAS(sig.reason, actions[i]);
		CHECK_STR(sig.tag, "0.0.1");
	}
	{
		json_t *j = fixture("github/release.created.json");
		struct sl_signal sig;

		set(j, "release.draft", json_true());
		sig = translate(SL_HOOK_GITHUB, "release", j);
		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_HAS(sig.reason, "draft");
	}
}

TEST(github_push_fixture_deletes_a_tag_and_is_ignored)
{
	struct sl_signal sig =
		translate(SL_HOOK_GITHUB, "push", fixture("github/push.json"));

	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_STR(sig.repo, HELLO);
	CHECK_STR(sig.tag, "simple-tag");
	CHECK_STR(sig.sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
	CHECK_HAS(sig.reason, "deleted tag simple-tag");
	CHECK_AT(sig, "2019-05-15T15:20:57Z"); /* pushed_at 1557933657 */
	CHECK_STR(sig.url, "https://github.com/Codertocat/Hello-World/compare/"
			   "6113728f27ae...000000000000");
}

TEST(github_push_of_a_branch_is_ignored)
{
	struct sl_signal sig = translate(SL_HOOK_GITHUB, "push",
					 fixture("github/push.with-new-branch."
						 "json"));

	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "branch pushes are not recorded");
	CHECK_STR(sig.tag, "");
}

TEST(github_push_creating_a_tag_is_a_release)
{
	json_t *j = fixture("github/push.json");
	struct sl_signal sig;

	set(j, "ref", json_string("refs/tags/v1.4.0"));
	set(j, "deleted", json_false());
	set(j, "created", json_true());
	set(j, "before",
	    json_string("0000000000000000000000000000000000000000"));
	set(j, "after",
	    json_string("6113728f27ae82c7b1a177c8d03f9e96e0adf246"));
	sig = translate(SL_HOOK_GITHUB, "push", j);
	CHECK_INT(sig.kind, SL_SIG_RELEASE);
	CHECK_STR(sig.tag, "v1.4.0");
	CHECK_STR(sig.sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
	CHECK_STR(sig.message, "GitHub push created tag v1.4.0");
	CHECK_AT(sig, "2019-05-15T15:20:57Z");
}

TEST(github_ping_and_unknown_events_are_ignored_by_name)
{
	struct sl_signal sig = translate(SL_HOOK_GITHUB, "ping",
					 parse("{\"zen\": \"Keep it simple\", "
					       "\"hook_id\": 1}"));

	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "ping");
	CHECK_HAS(sig.reason, "reachable");
	sig = translate(SL_HOOK_GITHUB, "check_run",
			fixture("github/deployment.json"));
	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_STR(sig.event, "check_run");
	CHECK_HAS(sig.reason, "'check_run' is not recorded");
}

TEST(github_without_its_event_header_or_with_bad_fields_is_refused)
{
	char env[300];
	json_t *j;

	refused(SL_HOOK_GITHUB, NULL, fixture("github/deployment.json"),
		"X-GitHub-Event");
	memset(env, 'e', sizeof(env) - 1);
	env[sizeof(env) - 1] = '\0';
	j = fixture("github/deployment.json");
	set(j, "deployment.environment", json_string(env));
	refused(SL_HOOK_GITHUB, "deployment", j, "deployment.environment");
	j = fixture("github/deployment.json");
	set(j, "deployment.environment", json_true());
	refused(SL_HOOK_GITHUB, "deployment", j, "deployment.environment");
	j = fixture("github/deployment.json");
	set(j, "deployment.created_at", json_string("yesterday"));
	refused(SL_HOOK_GITHUB, "deployment", j, "deployment.created_at");
	j = fixture("github/deployment.json");
	json_object_del(j, "repository");
	refused(SL_HOOK_GITHUB, "deployment", j, "repository.full_name");
	refused(SL_HOOK_GITHUB, "deployment", json_array(), "body");
}

/* ---- GitLab ---- */

TEST(gitlab_deployment_hook_is_a_deployment_with_the_full_sha)
{
	static const char *headers[] = {"Deployment Hook", NULL};

	for (size_t i = 0; i < COUNT(headers); i++) {
		struct sl_signal sig = translate(SL_HOOK_GITLAB, headers[i],
						 fixture("gitlab/"
							 "deployment.json"));

		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STR(sig.event, "Deployment Hook"); /* or object_kind */
		CHECK_STR(sig.repo, "root/test-deployment-webhooks");
		CHECK_STR(sig.environment, "staging");
		CHECK_STR(sig.sha, "279484c09fbe69ededfced8c1bb6e6d24616b468");
		CHECK_STR(sig.external_id, "15");
		CHECK_STATUS(sig, "succeeded");
		CHECK_STR(sig.url, "http://10.126.0.2:3000/root/"
				   "test-deployment-webhooks/-/jobs/796");
		/* "2021-04-28 21:50:00 +0200" */
		CHECK_AT(sig, "2021-04-28T19:50:00Z");
		CHECK_STR(sig.message,
			  "GitLab deployment success: Add new file");
	}
}

TEST(gitlab_deployment_without_commit_url_keeps_the_short_sha)
{
	static const struct {
		const char *word, *status;
	} cases[] = {{"running", "in_progress"},
		     {"failed", "failed"},
		     {"canceled", "cancelled"}};

	for (size_t i = 0; i < COUNT(cases); i++) {
		json_t *j = fixture("gitlab/deployment.json");
		struct sl_signal sig;

		json_object_del(j, "commit_url");
		set(j, "status", json_string(cases[i].word));
		sig = translate(SL_HOOK_GITLAB, "Deployment Hook", j);
		CHECK_STR(sig.sha, "279484c0");
		CHECK_STATUS(sig, cases[i].status);
	}
}

TEST(gitlab_tag_push_is_a_release_unless_it_deletes_the_tag)
{
	json_t *j;
	struct sl_signal sig = translate(SL_HOOK_GITLAB, "Tag Push Hook",
					 fixture("gitlab/tag_push.json"));

	CHECK_INT(sig.kind, SL_SIG_RELEASE);
	CHECK_STR(sig.repo, "jsmith/example");
	CHECK_STR(sig.tag, "v1.0.0");
	CHECK_STR(sig.sha, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
	CHECK_STR(sig.url, "http://example.com/jsmith/example");
	CHECK_INT(sig.at, 0); /* a tag push names no time */

	j = fixture("gitlab/tag_push.json");
	set(j, "before",
	    json_string("82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"));
	set(j, "after",
	    json_string("0000000000000000000000000000000000000000"));
	sig = translate(SL_HOOK_GITLAB, "Tag Push Hook", j);
	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "deleted tag v1.0.0");
}

TEST(gitlab_release_create_is_a_release_and_delete_is_ignored)
{
	json_t *j;
	struct sl_signal sig = translate(SL_HOOK_GITLAB, "Release Hook",
					 fixture("gitlab/release.json"));

	CHECK_INT(sig.kind, SL_SIG_RELEASE);
	CHECK_STR(sig.repo, "gitlab-org/release-webhook-example");
	CHECK_STR(sig.tag, "v1.1");
	CHECK_STR(sig.sha, "ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8");
	CHECK_STR(sig.url, "https://example.com/gitlab-org/"
			   "release-webhook-example/-/releases/v1.1");
	/* "2020-11-02 12:55:12 UTC" */
	CHECK_AT(sig, "2020-11-02T12:55:12Z");
	CHECK_STR(sig.message, "GitLab release created: v1.1");

	j = fixture("gitlab/release.json");
	set(j, "action", json_string("delete"));
	sig = translate(SL_HOOK_GITLAB, "Release Hook", j);
	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "v1.1 delete");
}

TEST(gitlab_pipelines_pushes_and_feature_flags_are_ignored)
{
	static const struct {
		const char *file, *event, *reason;
	} cases[] = {
		{"gitlab/pipeline.json", "Pipeline Hook",
		 "GitLab pipelines are CI; deployments come from Deployment "
		 "Hook"},
		{"gitlab/push.json", "Push Hook", "branch pushes"},
		{"gitlab/feature_flag.json", "Feature Flag Hook",
		 "feature flag"},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		/* named by object_kind alone, as by the header */
		struct sl_signal sig =
			translate(SL_HOOK_GITLAB, NULL, fixture(cases[i].file));

		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_STR(sig.event, cases[i].event);
		CHECK_HAS(sig.reason, cases[i].reason);
	}
	{
		struct sl_signal sig = translate(SL_HOOK_GITLAB, "Job Hook",
						 fixture("gitlab/"
							 "pipeline.json"));

		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_HAS(sig.reason, "'Job Hook' is not recorded");
	}
}

/* ---- CDEvents ---- */

#define CD_CHAIN "4c8cb7dd-3448-41de-8768-eec704e2829b"
#define CD_ID	 "271069a8-fc18-44f1-b38f-9d70a1695819"
#define CD_ARTIFACT                                                            \
	"pkg:oci/"                                                             \
	"myapp@sha256%"                                                        \
	"3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"

TEST(cdevents_service_events_of_every_spec_version_are_deployments)
{
	static const struct {
		const char *file, *type, *verb;
	} cases[] = {
		{"cdevents/service_deployed.json",
		 "dev.cdevents.service.deployed.0.3.0", "deployed"},
		{"cdevents/v0.5.1.service_deployed.json",
		 "dev.cdevents.service.deployed.0.3.0", "deployed"},
		{"cdevents/v0.4.1.service_deployed.json",
		 "dev.cdevents.service.deployed.0.2.0", "deployed"},
		{"cdevents/service_upgraded.json",
		 "dev.cdevents.service.upgraded.0.3.0", "upgraded"},
		{"cdevents/service_rolledback.json",
		 "dev.cdevents.service.rolledback.0.3.0", "rolled back"},
		{"cdevents/v0.5.1.service_rolledback.json",
		 "dev.cdevents.service.rolledback.0.3.0", "rolled back"},
		{"cdevents/v0.4.1.service_rolledback.json",
		 "dev.cdevents.service.rolledback.0.2.0", "rolled back"},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_signal sig = translate(SL_HOOK_CDEVENTS, NULL,
						 fixture(cases[i].file));
		char msg[256];

		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STR(sig.event, cases[i].type);
		CHECK_STR(sig.repo, "mySubject123");
		CHECK_STR(sig.environment, "test123");
		CHECK_STR(sig.tag, ""); /* a digest is no tag */
		CHECK_STR(sig.sha, "");
		CHECK_STR(sig.external_id, CD_CHAIN);
		CHECK_STR(sig.delivery_id, CD_ID);
		CHECK_STATUS(sig, "succeeded");
		CHECK_AT(sig, "2023-03-20T14:27:05.315384Z");
		snprintf(msg, sizeof(msg), "CDEvents service %s: %s",
			 cases[i].verb, CD_ARTIFACT);
		CHECK_STR(sig.message, msg);
	}
}

TEST(cdevents_other_events_are_ignored_with_what_they_name)
{
	static const struct {
		const char *file, *repo, *env, *url, *reason;
	} cases[] = {
		{"cdevents/service_removed.json", "mySubject123", "test123", "",
		 "service.removed is not recorded"},
		{"cdevents/pipelinerun_started.json", "mySubject123", "",
		 "https://www.example.com/mySubject123",
		 "pipeline runs are CI"},
		{"cdevents/pipelinerun_finished.json", "mySubject123", "",
		 "https://www.example.com/mySubject123",
		 "pipeline runs are CI"},
		{"cdevents/v0.5.1.pipelinerun_finished.json", "mySubject123",
		 "", "https://www.example.com/mySubject123",
		 "pipeline runs are CI"},
		/* 0.4.1 names the run's page "url", not "uri" */
		{"cdevents/v0.4.1.pipelinerun_finished.json", "mySubject123",
		 "", "https://www.example.com/mySubject123",
		 "pipeline runs are CI"},
		{"cdevents/artifact_published.json",
		 "pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c", "",
		 "", "'dev.cdevents.artifact.published.0.3.0' is not recorded"},
		{"cdevents/environment_modified.json", "mySubject123", "", "",
		 "'dev.cdevents.environment.modified.0.3.0' is not recorded"},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_signal sig = translate(SL_HOOK_CDEVENTS, NULL,
						 fixture(cases[i].file));

		CHECK_INT(sig.kind, SL_SIG_IGNORE);
		CHECK_STR(sig.repo, cases[i].repo);
		CHECK_STR(sig.environment, cases[i].env);
		CHECK_STR(sig.url, cases[i].url);
		CHECK_HAS(sig.reason, cases[i].reason);
		CHECK(sig.delivery_id[0] != '\0');
		CHECK(sig.at != 0);
	}
}

TEST(cdevents_structured_cloudevent_gives_its_id_as_the_delivery)
{
	json_t *ce =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "specversion",
			  "1.0", "id", "ce-0001", "source", "/event/source/123",
			  "type", "dev.cdevents.service.deployed.0.3.0",
			  "datacontenttype", "application/json", "data",
			  fixture("cdevents/service_deployed.json"));
	struct sl_signal sig = translate(SL_HOOK_CDEVENTS, NULL, ce);

	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	CHECK_STR(sig.delivery_id, "ce-0001");
	CHECK_STR(sig.environment, "test123");
	CHECK_STR(sig.external_id, CD_CHAIN);
}

TEST(cdevents_binary_mode_type_must_agree_with_the_body)
{
	struct sl_signal sig = translate(
		SL_HOOK_CDEVENTS, "dev.cdevents.service.deployed.0.3.0",
		fixture("cdevents/service_deployed.json"));

	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	refused(SL_HOOK_CDEVENTS, "dev.cdevents.service.removed.0.3.0",
		fixture("cdevents/service_deployed.json"), "ce-type");
}

TEST(cdevents_purl_version_is_the_tag_and_no_chain_makes_an_id)
{
	json_t *j = fixture("cdevents/service_deployed.json");
	struct sl_signal sig;

	set(j, "subject.content.artifactId",
	    json_string(
		    "pkg:oci/myapp@v1.2.3%2Bbuild.5?repository_url=ghcr.io"));
	json_object_del(json_object_get(j, "context"), "chainId");
	sig = translate(SL_HOOK_CDEVENTS, NULL, j);
	CHECK_STR(sig.tag, "v1.2.3+build.5");
	CHECK_STR(sig.external_id,
		  "mySubject123@test123@pkg:oci/myapp@v1.2.3%2Bbuild.5?"
		  "repository_url=ghcr.io");
}

TEST(cdevents_without_a_spec_version_or_environment_is_refused)
{
	json_t *j = fixture("cdevents/service_deployed.json");

	json_object_del(json_object_get(j, "context"), "specversion");
	refused(SL_HOOK_CDEVENTS, NULL, j, "context.specversion");
	j = fixture("cdevents/service_deployed.json");
	json_object_del(
		json_object_get(json_object_get(j, "subject"), "content"),
		"environment");
	refused(SL_HOOK_CDEVENTS, NULL, j, "subject.content.environment.id");
	refused(SL_HOOK_CDEVENTS, NULL, parse("{\"specversion\": \"1.0\"}"),
		"data");
}

/* ---- Jenkins ---- */

TEST(jenkins_fixture_has_no_environment_parameter_and_is_ignored)
{
	struct sl_signal sig = translate(
		SL_HOOK_JENKINS, NULL,
		fixture("jenkins/notification-plugin.completed.json"));

	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "add a string parameter ENVIRONMENT");
	CHECK_STR(sig.event, "COMPLETED");
	CHECK_STR(sig.repo, "asgard");
	CHECK_STR(sig.environment, "");
	CHECK_STR(sig.external_id, "asgard#18");
	CHECK_STR(sig.delivery_id, "asgard#18#COMPLETED");
	CHECK_STATUS(sig, "succeeded");
	CHECK_STR(sig.sha, "c6d86dc654b12425e706bcf951adfe5a8627a517");
	CHECK_STR(sig.url, "http://localhost:8080/job/asgard/18/");
	CHECK_INT(sig.at, 0); /* the gist has no build.timestamp */
	CHECK_STR(sig.message, "Jenkins asgard #18 COMPLETED: SUCCESS");
}

TEST(jenkins_build_with_an_environment_is_a_deployment_per_phase)
{
	static const struct {
		const char *phase, *status, *word;
	} cases[] = {{"STARTED", "in_progress", NULL},
		     {"COMPLETED", "failed", "FAILURE"},
		     {"FINALIZED", "cancelled", "ABORTED"}};

	for (size_t i = 0; i < COUNT(cases); i++) {
		json_t *j =
			fixture("jenkins/notification-plugin.completed.json");
		struct sl_signal sig;
		char delivery[64];

		set(j, "build.phase", json_string(cases[i].phase));
		set(j, "build.status",
		    cases[i].word ? json_string(cases[i].word) : json_null());
		set(j, "build.parameters",
		    json_pack("{s:s}", "ENVIRONMENT", "production"));
		set(j, "build.timestamp", json_integer(1700000000123));
		sig = translate(SL_HOOK_JENKINS, NULL, j);
		CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
		CHECK_STR(sig.environment, "production");
		CHECK_STATUS(sig, cases[i].status);
		CHECK_STR(sig.external_id, "asgard#18");
		snprintf(delivery, sizeof(delivery), "asgard#18#%s",
			 cases[i].phase);
		CHECK_STR(sig.delivery_id, delivery);
		CHECK_AT(sig, "2023-11-14T22:13:20.123000Z");
	}
}

TEST(jenkins_queued_is_ignored)
{
	json_t *j = fixture("jenkins/notification-plugin.completed.json");
	struct sl_signal sig;

	set(j, "build.phase", json_string("QUEUED"));
	sig = translate(SL_HOOK_JENKINS, NULL, j);
	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "QUEUED");
	CHECK_STR(sig.delivery_id, "asgard#18#QUEUED");
}

/* ---- Alertmanager ---- */

TEST(alertmanager_firing_is_the_groups_incident)
{
	struct sl_signal sig =
		translate(SL_HOOK_ALERTMANAGER, NULL,
			  fixture("alertmanager/webhook.v4.firing.json"));

	CHECK_INT(sig.kind, SL_SIG_INCIDENT);
	CHECK_INT(sig.resolved, 0);
	CHECK_STR(sig.event, "firing");
	CHECK_STR(sig.repo, "http_checks"); /* commonLabels.job */
	CHECK_STR(sig.environment, "");	    /* no env/environment/cluster */
	CHECK_STR(sig.severity, "critical");
	CHECK_STR(sig.delivery_id,
		  "{}/{severity=\"critical\"}:{alertname=\"ProbeFailure\"}"
		  "|1a30ba71cca2921f@2023-02-06T13:08:45.828Z:firing");
	/* The group names the incident, whatever its alerts' states. */
	CHECK_STR(sig.external_id,
		  "{}/{severity=\"critical\"}:{alertname=\"ProbeFailure\"}");
	CHECK_STR(sig.url, "http://prometheus.example.org:9093");
	CHECK_AT(sig, "2023-02-06T13:08:45.828000Z");
	CHECK_INT(sig.ended_at, 0);
	CHECK_STR(sig.message, "BlackBox Probe Failure: "
			       "https://server.example.org");
}

TEST(alertmanager_resolution_is_another_delivery_of_the_same_incident)
{
	json_t *j = fixture("alertmanager/webhook.v4.firing.json");
	json_t *alert = json_array_get(json_object_get(j, "alerts"), 0);
	struct sl_signal sig;
	int64_t end = 0;

	set(j, "status", json_string("resolved"));
	json_object_set_new(alert, "status", json_string("resolved"));
	json_object_set_new(alert, "endsAt",
			    json_string("2023-02-06T13:20:00Z"));
	set(j, "commonLabels.env", json_string("prod"));
	sig = translate(SL_HOOK_ALERTMANAGER, NULL, j);
	CHECK_INT(sig.kind, SL_SIG_INCIDENT);
	CHECK_INT(sig.resolved, 1);
	CHECK_STR(sig.environment, "prod");
	CHECK_HAS(sig.delivery_id, ":resolved");
	CHECK_STR(sig.external_id,
		  "{}/{severity=\"critical\"}:{alertname=\"ProbeFailure\"}");
	CHECK_AT(sig, "2023-02-06T13:08:45.828000Z");
	sl_time_parse("2023-02-06T13:20:00Z", &end, "t", NULL);
	CHECK_INT(sig.ended_at, end);
}

TEST(cdevents_incidents_open_and_resolve_the_incident_they_name)
{
	struct sl_signal a =
		translate(SL_HOOK_CDEVENTS, NULL,
			  fixture("cdevents/incident_detected.json"));
	struct sl_signal b =
		translate(SL_HOOK_CDEVENTS, NULL,
			  fixture("cdevents/incident_resolved.json"));

	CHECK_INT(a.kind, SL_SIG_INCIDENT);
	CHECK_INT(a.resolved, 0);
	CHECK_STR(a.repo, "myApp");
	CHECK_STR(a.environment, "prod1");
	CHECK(a.external_id[0] != '\0');
	CHECK_INT(b.kind, SL_SIG_INCIDENT);
	CHECK_INT(b.resolved, 1);
	CHECK_STR(b.external_id, a.external_id);
	CHECK(b.ended_at != 0);
}

/* ---- Argo CD: bodies as docs/hooks/argocd.yaml renders them ---- */

#define ARGO_SHA "a5a6f5d7c2e1b3f4a5a6f5d7c2e1b3f4a5a6f5d7"

static json_t *argo(const char *event, const char *phase, const char *health,
		    const char *finished)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"event\": \"%s\", \"app\": \"guestbook\", "
		 "\"environment\": \"production\", "
		 "\"revision\": \"" ARGO_SHA "\", "
		 "\"phase\": \"%s\", \"health\": \"%s\", "
		 "\"startedAt\": \"2024-05-02T10:00:00Z\", "
		 "\"finishedAt\": \"%s\", "
		 "\"url\": \"https://argocd.example/applications/guestbook\", "
		 "\"id\": \"guestbook@" ARGO_SHA "@2024-05-02T10:00:00Z/%s\"}",
		 event, phase, health, finished, event);
	return parse(text);
}

TEST(argocd_sync_succeeded_is_a_succeeded_deployment)
{
	struct sl_signal sig =
		translate(SL_HOOK_ARGOCD, NULL,
			  argo("sync-succeeded", "Succeeded", "Healthy",
			       "2024-05-02T10:01:30Z"));

	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	CHECK_STR(sig.event, "sync-succeeded");
	CHECK_STR(sig.repo, "guestbook");
	CHECK_STR(sig.environment, "production");
	CHECK_STR(sig.sha, ARGO_SHA);
	CHECK_STR(sig.external_id,
		  "guestbook@" ARGO_SHA "@2024-05-02T10:00:00Z");
	CHECK_STR(sig.delivery_id,
		  "guestbook@" ARGO_SHA "@2024-05-02T10:00:00Z/sync-succeeded");
	CHECK_STATUS(sig, "succeeded");
	CHECK_STR(sig.url, "https://argocd.example/applications/guestbook");
	CHECK_AT(sig, "2024-05-02T10:01:30Z"); /* finishedAt */
	CHECK_STR(sig.message,
		  "Argo CD sync-succeeded: phase Succeeded, health Healthy");
}

TEST(argocd_running_sync_has_no_finish_yet)
{
	/* Argo CD renders the missing finishedAt as "<no value>". */
	struct sl_signal sig = translate(
		SL_HOOK_ARGOCD, NULL,
		argo("sync-running", "Running", "Degraded", "<no value>"));

	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	/* the health left from before does not fail the new sync */
	CHECK_STATUS(sig, "in_progress");
	CHECK_AT(sig, "2024-05-02T10:00:00Z"); /* startedAt */
	CHECK_STR(sig.external_id,
		  "guestbook@" ARGO_SHA "@2024-05-02T10:00:00Z");
}

TEST(argocd_failed_sync_and_degraded_health_fail_the_deployment)
{
	struct sl_signal sig = translate(SL_HOOK_ARGOCD, NULL,
					 argo("sync-failed", "Error", "Missing",
					      "2024-05-02T10:01:00Z"));

	CHECK_STATUS(sig, "failed");
	sig = translate(SL_HOOK_ARGOCD, NULL,
			argo("health-degraded", "Succeeded", "Degraded",
			     "2024-05-02T10:01:30Z"));
	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	CHECK_STATUS(sig, "failed");
	CHECK_STR(sig.external_id,
		  "guestbook@" ARGO_SHA "@2024-05-02T10:00:00Z");
}

TEST(argocd_unknown_event_is_ignored_and_no_environment_refused)
{
	json_t *j;
	struct sl_signal sig =
		translate(SL_HOOK_ARGOCD, NULL,
			  argo("app-created", "Succeeded", "Healthy", ""));

	CHECK_INT(sig.kind, SL_SIG_IGNORE);
	CHECK_HAS(sig.reason, "'app-created' is not recorded");
	j = argo("sync-succeeded", "Succeeded", "Healthy", "");
	set(j, "environment", json_string("<no value>"));
	refused(SL_HOOK_ARGOCD, NULL, j, "environment");
}

/* ---- Generic: docs/hooks/generic.md ---- */

TEST(generic_deployment_of_a_service)
{
	struct sl_signal sig = translate(
		SL_HOOK_GENERIC, NULL,
		parse("{\"id\": \"d-1\", \"event\": \"deployment\", "
		      "\"service\": \"payments\", \"environment\": \"prod\", "
		      "\"commit\": \"" HELLO_SHA "\", \"tag\": \"v2.0.1\", "
		      "\"status\": \"in_progress\", \"deployment\": "
		      "\"run-88\", "
		      "\"url\": \"https://ci.example/run/88\", "
		      "\"message\": \"canary 10%\", "
		      "\"at\": \"2026-01-05T09:30:00+01:00\"}"));

	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	CHECK_STR(sig.event, "deployment");
	CHECK_STR(sig.repo, "service:payments");
	CHECK_STR(sig.environment, "prod");
	CHECK_STR(sig.sha, HELLO_SHA);
	CHECK_STR(sig.tag, "v2.0.1");
	CHECK_STR(sig.external_id, "run-88");
	CHECK_STR(sig.delivery_id, "d-1");
	CHECK_STATUS(sig, "in_progress");
	CHECK_STR(sig.url, "https://ci.example/run/88");
	CHECK_STR(sig.message, "canary 10%");
	CHECK_AT(sig, "2026-01-05T08:30:00Z");
}

TEST(generic_release_of_a_repository_named_by_the_header)
{
	struct sl_signal sig = translate(SL_HOOK_GENERIC, "release",
					 parse("{\"repository\": \"octo/app\", "
					       "\"tag\": \"v1.4.0\"}"));

	CHECK_INT(sig.kind, SL_SIG_RELEASE);
	CHECK_STR(sig.repo, "octo/app");
	CHECK_STR(sig.tag, "v1.4.0");
	CHECK_STR(sig.message, "release v1.4.0");
	CHECK_INT(sig.has_status, 0);
}

TEST(generic_refuses_what_its_document_does_not_allow)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{"{\"event\": \"rollout\", \"service\": \"a\"}", "event"},
		{"{\"service\": \"a\", \"tag\": \"v1.0.0\"}", "event"},
		{"{\"event\": \"release\", \"tag\": \"v1.0.0\"}", "service"},
		{"{\"event\": \"release\", \"service\": \"a\", "
		 "\"repository\": \"o/a\", \"tag\": \"v1.0.0\"}",
		 "service"},
		{"{\"event\": \"release\", \"service\": \"a\"}", "tag"},
		{"{\"event\": \"deployment\", \"service\": \"a\", "
		 "\"tag\": \"v1.0.0\"}",
		 "environment"},
		{"{\"event\": \"deployment\", \"service\": \"a\", "
		 "\"environment\": \"prod\"}",
		 "commit"},
		{"{\"event\": \"deployment\", \"service\": \"a\", "
		 "\"environment\": \"prod\", \"commit\": \"xyz\"}",
		 "commit"},
		{"{\"event\": \"deployment\", \"service\": \"a\", "
		 "\"environment\": \"prod\", \"tag\": \"v1.0.0\", "
		 "\"status\": \"success\"}",
		 "status"},
		{"{\"event\": \"release\", \"service\": \"a\", "
		 "\"tag\": \"v1.0.0\", \"at\": \"2026-01-05 09:30\"}",
		 "at"},
	};

	for (size_t i = 0; i < COUNT(cases); i++)
		refused(SL_HOOK_GENERIC, NULL, parse(cases[i].body),
			cases[i].field);
}

TEST(long_free_text_is_cut_but_a_long_id_is_refused)
{
	char big[400], body[1200];
	struct sl_signal sig;
	json_t *j;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	j = fixture("github/deployment_status.json");
	set(j, "deployment_status.description", json_string(big));
	sig = translate(SL_HOOK_GITHUB, "deployment_status", j);
	CHECK_INT(sig.kind, SL_SIG_DEPLOYMENT);
	CHECK_INT(strlen(sig.message), SL_SIG_TEXT - 1);
	snprintf(body, sizeof(body),
		 "{\"event\": \"release\", \"service\": \"a\", "
		 "\"tag\": \"v1.0.0\", \"id\": \"%s\"}",
		 big);
	refused(SL_HOOK_GENERIC, NULL, parse(body), "id");
}

TEST_MAIN(T(github_deployment_created_is_a_queued_deployment),
	  T(github_deployment_status_success_moves_the_same_deployment),
	  T(github_deployment_status_words_map_through_the_status_table),
	  T(github_inactive_status_is_ignored_with_the_reason),
	  T(github_deployment_status_prefers_the_target_url),
	  T(github_workflow_runs_are_ci_not_deployments),
	  T(github_release_published_created_prereleased_are_releases),
	  T(github_release_target_commitish_is_the_commit_only_when_it_is_one),
	  T(github_release_edits_deletions_and_drafts_are_ignored),
	  T(github_push_fixture_deletes_a_tag_and_is_ignored),
	  T(github_push_of_a_branch_is_ignored),
	  T(github_push_creating_a_tag_is_a_release),
	  T(github_ping_and_unknown_events_are_ignored_by_name),
	  T(github_without_its_event_header_or_with_bad_fields_is_refused),
	  T(gitlab_deployment_hook_is_a_deployment_with_the_full_sha),
	  T(gitlab_deployment_without_commit_url_keeps_the_short_sha),
	  T(gitlab_tag_push_is_a_release_unless_it_deletes_the_tag),
	  T(gitlab_release_create_is_a_release_and_delete_is_ignored),
	  T(gitlab_pipelines_pushes_and_feature_flags_are_ignored),
	  T(cdevents_service_events_of_every_spec_version_are_deployments),
	  T(cdevents_other_events_are_ignored_with_what_they_name),
	  T(cdevents_structured_cloudevent_gives_its_id_as_the_delivery),
	  T(cdevents_binary_mode_type_must_agree_with_the_body),
	  T(cdevents_purl_version_is_the_tag_and_no_chain_makes_an_id),
	  T(cdevents_without_a_spec_version_or_environment_is_refused),
	  T(jenkins_fixture_has_no_environment_parameter_and_is_ignored),
	  T(jenkins_build_with_an_environment_is_a_deployment_per_phase),
	  T(jenkins_queued_is_ignored),
	  T(alertmanager_firing_is_the_groups_incident),
	  T(alertmanager_resolution_is_another_delivery_of_the_same_incident),
	  T(cdevents_incidents_open_and_resolve_the_incident_they_name),
	  T(argocd_sync_succeeded_is_a_succeeded_deployment),
	  T(argocd_running_sync_has_no_finish_yet),
	  T(argocd_failed_sync_and_degraded_health_fail_the_deployment),
	  T(argocd_unknown_event_is_ignored_and_no_environment_refused),
	  T(generic_deployment_of_a_service),
	  T(generic_release_of_a_repository_named_by_the_header),
	  T(generic_refuses_what_its_document_does_not_allow),
	  T(long_free_text_is_cut_but_a_long_id_is_refused))
