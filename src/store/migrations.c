/* migrations.c - the schema, as numbered migrations.
 *
 * A migration, once landed, is never edited: add a new one. "{ID_PK}" is
 * replaced by the driver's spelling of an auto-assigned integer key. Times
 * are microseconds since the Unix epoch in 64-bit integers. */
#include "store/migrations.h"

static const char m001[] =
	"CREATE TABLE services ("
	" name TEXT PRIMARY KEY,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE service_tags ("
	" service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" PRIMARY KEY (service, key));"
	"CREATE INDEX service_tags_kv ON service_tags (key, value);"
	"CREATE TABLE environments ("
	" name TEXT PRIMARY KEY,"
	" rank BIGINT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE releases ("
	" id {ID_PK},"
	" service TEXT NOT NULL REFERENCES services(name),"
	" version TEXT NOT NULL,"
	" sortkey TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL,"
	" UNIQUE (service, sortkey));"
	"CREATE INDEX releases_created ON releases (created_at);"
	"CREATE INDEX releases_status ON releases (status, id);"
	"CREATE INDEX releases_service ON releases (service, id);"
	"CREATE TABLE release_tags ("
	" release_id BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" PRIMARY KEY (release_id, key));"
	"CREATE INDEX release_tags_kv ON release_tags (key, value);"
	"CREATE TABLE deployments ("
	" id {ID_PK},"
	" release_id BIGINT NOT NULL REFERENCES releases(id),"
	" service TEXT NOT NULL,"
	" environment TEXT NOT NULL REFERENCES environments(name),"
	" target TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX deployments_place ON deployments"
	" (service, environment, target, id);"
	"CREATE INDEX deployments_env ON deployments (environment, id);"
	"CREATE INDEX deployments_svc_env ON deployments"
	" (service, environment, id);"
	"CREATE INDEX deployments_svc ON deployments (service, id);"
	"CREATE INDEX deployments_release ON deployments (release_id, id);"
	"CREATE INDEX deployments_status ON deployments (status, id);"
	"CREATE TABLE placements ("
	" service TEXT NOT NULL,"
	" environment TEXT NOT NULL,"
	" target TEXT NOT NULL,"
	" latest_id BIGINT NOT NULL,"
	" running_id BIGINT,"
	" item TEXT,"
	" PRIMARY KEY (service, environment, target));"
	"CREATE TABLE deployment_events ("
	" id {ID_PK},"
	" deployment_id BIGINT NOT NULL REFERENCES deployments(id),"
	" seq BIGINT NOT NULL,"
	" at BIGINT NOT NULL,"
	" doc TEXT NOT NULL,"
	" UNIQUE (deployment_id, seq));"
	"CREATE TABLE tokens ("
	" id {ID_PK},"
	" name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" created_at BIGINT NOT NULL,"
	" created_by TEXT,"
	" revoked_at BIGINT);"
	"CREATE TABLE audit ("
	" seq BIGINT PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object_type TEXT NOT NULL,"
	" object_id TEXT NOT NULL,"
	" request_id TEXT,"
	" before TEXT,"
	" after TEXT);"
	"CREATE TABLE idempotency ("
	" actor TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" method TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" body_hash TEXT NOT NULL,"
	" status BIGINT NOT NULL,"
	" response TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" PRIMARY KEY (actor, key));";

static const char m002[] =
	/* Token scopes and approval groups: {"environments": [...],
	 * "services": [...], "teams": [...], "groups": [...]}. */
	"ALTER TABLE tokens ADD COLUMN scope TEXT;"
	/* The grant a write was allowed through, when it was. */
	"ALTER TABLE audit ADD COLUMN via TEXT;"
	"CREATE TABLE policies ("
	" environment TEXT NOT NULL,"
	" version BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" created_by TEXT NOT NULL,"
	" doc TEXT NOT NULL,"
	" PRIMARY KEY (environment, version));"
	"CREATE TABLE approvals ("
	" id {ID_PK},"
	" release_id BIGINT NOT NULL REFERENCES releases(id),"
	" environment TEXT NOT NULL,"
	" approver TEXT NOT NULL,"
	" grp TEXT,"
	" decision TEXT NOT NULL,"
	" at BIGINT NOT NULL,"
	" expires_at BIGINT,"
	" artifacts_digest TEXT NOT NULL,"
	" withdrawn_at BIGINT,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX approvals_release ON approvals"
	" (release_id, environment, id);"
	"CREATE TABLE checklist_done ("
	" release_id BIGINT NOT NULL REFERENCES releases(id),"
	" environment TEXT NOT NULL,"
	" item TEXT NOT NULL,"
	" at BIGINT NOT NULL,"
	" doc TEXT NOT NULL,"
	" PRIMARY KEY (release_id, environment, item));"
	"CREATE TABLE change_requests ("
	" key TEXT PRIMARY KEY,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE windows ("
	" id {ID_PK},"
	" environment TEXT,"
	" created_at BIGINT NOT NULL,"
	" deleted_at BIGINT,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE grants ("
	" id {ID_PK},"
	" token_id BIGINT NOT NULL REFERENCES tokens(id),"
	" role TEXT NOT NULL,"
	" environment TEXT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" revoked_at BIGINT,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX grants_token ON grants (token_id, expires_at);"
	"CREATE TABLE reviews ("
	" id {ID_PK},"
	" deployment_id BIGINT NOT NULL REFERENCES deployments(id),"
	" closed_at BIGINT,"
	" created_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);";

static const char m003[] =
	/* The gate's concurrency check counts a status in one environment. */
	"CREATE INDEX deployments_env_status ON deployments"
	" (environment, status, id);";

static const char m004[] =
	/* A token may expire (NULL = never); when it last authenticated,
	 * written at most once a minute per token (see tokcache.c). */
	"ALTER TABLE tokens ADD COLUMN expires_at BIGINT;"
	"ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;";

static const char m005[] =
	/* An approval voided by an edit of what it approved. */
	"ALTER TABLE approvals ADD COLUMN voided_at BIGINT;";

static const char m006[] =
	/* The audit log as a Merkle tree: its tlog-tiles (hashes as hex),
	 * how many entries the tree covers, every signed checkpoint, and
	 * the log's identity (origin and verifier key; the signing key
	 * itself is a file, never in the database). */
	"CREATE TABLE log_tiles ("
	" level BIGINT NOT NULL,"
	" idx BIGINT NOT NULL,"
	" width BIGINT NOT NULL,"
	" hashes TEXT NOT NULL,"
	" PRIMARY KEY (level, idx));"
	"CREATE TABLE log_state ("
	" id BIGINT PRIMARY KEY,"
	" size BIGINT NOT NULL);"
	"CREATE TABLE log_checkpoints ("
	" size BIGINT PRIMARY KEY,"
	" root TEXT NOT NULL,"
	" note TEXT NOT NULL,"
	" created_at BIGINT NOT NULL);"
	"CREATE TABLE log_identity ("
	" id BIGINT PRIMARY KEY,"
	" origin TEXT NOT NULL,"
	" verifier_key TEXT NOT NULL);";

static const char m007[] =
	/* Lighter entries and sequencing apart from writing. An entry holds
	 * what a write changed as a JSON Patch, and the environment and
	 * service of the object it is about (a patch need not name them);
	 * entries written before keep their two documents and their bytes.
	 * A write commits its entry under a provisional id; where several
	 * writers commit at once (PostgreSQL), seq stays NULL until the
	 * cluster's sequencer numbers entries in id order, gap-free, so no
	 * write waits on a lock for its number. The table is rebuilt (seq
	 * can no longer be the primary key); old entries keep their seq and
	 * get ids in that order. */
	"CREATE TABLE audit_v7 ("
	" id {ID_PK},"
	" seq BIGINT UNIQUE,"
	" at BIGINT NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object_type TEXT NOT NULL,"
	" object_id TEXT NOT NULL,"
	" request_id TEXT,"
	" before TEXT,"
	" after TEXT,"
	" via TEXT,"
	" change TEXT,"
	" environment TEXT,"
	" service TEXT);"
	"INSERT INTO audit_v7 (seq, at, actor, action, object_type, object_id,"
	" request_id, before, after, via)"
	" SELECT seq, at, actor, action, object_type, object_id, request_id,"
	" before, after, via FROM audit ORDER BY seq;"
	"DROP TABLE audit;"
	"ALTER TABLE audit_v7 RENAME TO audit;";

static const char m008[] =
	/* The dashboard's sign-in: a session stands for the token it was
	 * opened with, until it expires or is closed; only the digest of
	 * its secret (the cookie's value) is kept, as for tokens. */
	"CREATE TABLE sessions ("
	" id {ID_PK},"
	" hash TEXT NOT NULL UNIQUE,"
	" token_id BIGINT NOT NULL REFERENCES tokens(id),"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" revoked_at BIGINT);";

static const char m009[] =
	/* Inbound webhooks. A receiver keeps its secret as given: an HMAC
	 * needs the key itself, so the secret never leaves the store in an
	 * answer. Every authenticated delivery is kept with its body (to
	 * replay it) and what came of it; a sender's delivery id is unique
	 * per receiver, so a redelivery finds the first. A link ties the
	 * sender's id of a deployment to shiplog's. */
	"CREATE TABLE receivers ("
	" name TEXT PRIMARY KEY,"
	" source TEXT NOT NULL,"
	" secret TEXT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE deliveries ("
	" id {ID_PK},"
	" receiver TEXT NOT NULL,"
	" delivery_id TEXT NOT NULL,"
	" at BIGINT NOT NULL,"
	" body TEXT NOT NULL,"
	" doc TEXT NOT NULL,"
	" UNIQUE (receiver, delivery_id));"
	"CREATE INDEX deliveries_receiver ON deliveries (receiver, id);"
	"CREATE TABLE hook_links ("
	" receiver TEXT NOT NULL,"
	" external_id TEXT NOT NULL,"
	" deployment_id BIGINT NOT NULL REFERENCES deployments(id),"
	" PRIMARY KEY (receiver, external_id));";

static const char m010[] =
	/* Incidents. The key is the caller's (or, for an alert, one derived
	 * from the sender's group); the services an incident names and the
	 * deployments a person confirmed as its cause are rows of their own
	 * so that lists filter on them; the releases it is a known issue of
	 * likewise. The document holds all of it as answered. */
	"CREATE TABLE incidents ("
	" id {ID_PK},"
	" key TEXT NOT NULL UNIQUE,"
	" status TEXT NOT NULL,"
	" severity TEXT NOT NULL,"
	" environment TEXT NOT NULL,"
	" started_at BIGINT NOT NULL,"
	" resolved_at BIGINT,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX incidents_env ON incidents (environment, id);"
	"CREATE INDEX incidents_status ON incidents (status, id);"
	"CREATE TABLE incident_services ("
	" incident TEXT NOT NULL REFERENCES incidents(key),"
	" service TEXT NOT NULL,"
	" PRIMARY KEY (incident, service));"
	"CREATE INDEX incident_services_svc ON incident_services"
	" (service, incident);"
	"CREATE TABLE incident_causes ("
	" incident TEXT NOT NULL REFERENCES incidents(key),"
	" deployment_id BIGINT NOT NULL REFERENCES deployments(id),"
	" confirmed_by TEXT NOT NULL,"
	" confirmed_at BIGINT NOT NULL,"
	" PRIMARY KEY (incident, deployment_id));"
	"CREATE INDEX incident_causes_dep ON incident_causes (deployment_id);"
	"CREATE TABLE incident_releases ("
	" incident TEXT NOT NULL REFERENCES incidents(key),"
	" release_id BIGINT NOT NULL REFERENCES releases(id),"
	" PRIMARY KEY (incident, release_id));"
	"CREATE INDEX incident_releases_rel ON incident_releases"
	" (release_id, incident);";
static const char m011[] =
	/* Notifications. A subscription keeps its channel's secret (the
	 * webhook's HMAC key, the Slack URL) apart from its document, which
	 * is what answers show. The outbox holds one row per notification
	 * per subscription, written in the transaction of the change that
	 * caused it; delivery_key is the idempotency key every attempt carries,
	 * and unique, so an event found by a sweep (a freeze starting) is
	 * enqueued once. The dispatcher takes the rows whose next_at has
	 * come, status pending. */
	"CREATE TABLE subscriptions ("
	" name TEXT PRIMARY KEY,"
	" secret TEXT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE TABLE notifications ("
	" id {ID_PK},"
	" delivery_key TEXT NOT NULL UNIQUE,"
	" subscription TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" attempts BIGINT NOT NULL,"
	" next_at BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" sent_at BIGINT NOT NULL,"
	" last_error TEXT NOT NULL,"
	" payload TEXT NOT NULL);"
	"CREATE INDEX notifications_due ON notifications (status, next_at);"
	"CREATE INDEX notifications_sub ON notifications (subscription, id);";

static const char m012[] =
	/* Verification after a deployment succeeds. A policy belongs to an
	 * environment, or to one service there (service '' is the
	 * environment's own, used by services without theirs). A
	 * verification is one deployment's run: the policy it took, its
	 * rounds and outcome in doc, its state and when its next round is
	 * due in columns for the worker's lookups; it is written as each
	 * round ends, so a restart goes on from the last one. The index on
	 * deployments finds the succeeded ones of an environment since a
	 * policy began without reading the rest. */
	"CREATE TABLE verification_policies ("
	" environment TEXT NOT NULL REFERENCES environments(name),"
	" service TEXT NOT NULL,"
	" revision BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL,"
	" PRIMARY KEY (environment, service));"
	"CREATE TABLE verifications ("
	" deployment_id BIGINT PRIMARY KEY REFERENCES deployments(id),"
	" state TEXT NOT NULL,"
	" next_at BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX verifications_due ON verifications (state, next_at);"
	"CREATE INDEX deployments_status_env ON deployments"
	" (status, environment, updated_at);";
static const char m013[] =
	/* Imports: the source's id of each record brought in and the
	 * object it became (a service's or environment's name, a release's,
	 * deployment's or event's id), so a second import of the same
	 * records writes nothing. Placements pick the latest deployment by
	 * its time, not its id: an import brings in deployments older than
	 * those already there. */
	"CREATE TABLE import_ids ("
	" source TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" external_id TEXT NOT NULL,"
	" object_id TEXT NOT NULL,"
	" imported_at BIGINT NOT NULL,"
	" PRIMARY KEY (source, kind, external_id));"
	"CREATE INDEX deployments_place_time ON deployments"
	" (service, environment, target, created_at, id);";

static const char m014[] =
	/* Retention: each archive made (its cut-off, when, the log's size
	 * then, the file's SHA-256 and counts; restored_at once put back),
	 * and which objects it took, so a read of one answers 410 naming
	 * the archive rather than 404. */
	"CREATE TABLE archives ("
	" id {ID_PK},"
	" before BIGINT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" tree_size BIGINT NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" counts TEXT NOT NULL,"
	" restored_at BIGINT);"
	"CREATE TABLE archived_objects ("
	" kind TEXT NOT NULL,"
	" object_id TEXT NOT NULL,"
	" archive_id BIGINT NOT NULL REFERENCES archives(id),"
	" PRIMARY KEY (kind, object_id));"
	"CREATE INDEX archived_objects_archive ON archived_objects"
	" (archive_id, kind);";

/* Which import brought an object in, asked by the compliance reports
 * for each deployment: by the object, not the source's id. */
static const char m016[] =
	"CREATE INDEX import_ids_object ON import_ids (kind, object_id);";
/* Gate refusals of a deployment start, for the delivery metrics' refusal
 * rate and reasons and the approval wait: an attempt, kept beside the
 * notification of it. checks: the failing checks' names, comma-joined.
 * No foreign key: a release archived later leaves its refusals counted. */
static const char m017[] = "CREATE TABLE gate_refusals ("
			   " id {ID_PK},"
			   " at BIGINT NOT NULL,"
			   " environment TEXT NOT NULL,"
			   " service TEXT NOT NULL,"
			   " release_id BIGINT NOT NULL,"
			   " checks TEXT NOT NULL,"
			   " actor TEXT NOT NULL);"
			   "CREATE INDEX gate_refusals_env_at ON gate_refusals"
			   " (environment, at);"
			   "CREATE INDEX gate_refusals_release ON gate_refusals"
			   " (release_id, environment, at);";
/* Delivery metrics read a million deployments without their documents:
 * what they need of a deployment is copied into columns as it is written
 * (the store's UPDATE reads it from the document it writes): its start,
 * end and first success in microseconds (the first success stays when a
 * verification fails the deployment later; here it is read from the
 * timeline), the deployment it rolls back, and its release's type and
 * commit time (else the release's creation; kept in step when the
 * release changes). One index holds every column the metrics read, so a
 * query never touches the table. The existing rows are filled here;
 * reading JSON and RFC 3339 is spelled per engine, so PostgreSQL runs its
 * own text (sl_migrations_pg). */
/* clang-format off */
#define M015_COLUMNS \
	"ALTER TABLE deployments ADD COLUMN started_us BIGINT;" \
	"ALTER TABLE deployments ADD COLUMN finished_us BIGINT;" \
	"ALTER TABLE deployments ADD COLUMN succeeded_us BIGINT;" \
	"ALTER TABLE deployments ADD COLUMN rollback_of BIGINT;" \
	"ALTER TABLE deployments ADD COLUMN release_type TEXT;" \
	"ALTER TABLE deployments ADD COLUMN commit_at BIGINT;" \
	"ALTER TABLE releases ADD COLUMN commit_at BIGINT;"
#define M015_RELEASE_OF_DEPLOYMENT \
	" release_type = (SELECT r.type FROM releases r" \
	" WHERE r.id = deployments.release_id)," \
	" commit_at = (SELECT COALESCE(r.commit_at, r.created_at)" \
	" FROM releases r WHERE r.id = deployments.release_id)"
#define M015_SUCCEEDED(status_of_event) \
	"UPDATE deployments SET succeeded_us = CASE WHEN status IN" \
	" ('succeeded', 'verified') THEN finished_us ELSE" \
	" (SELECT MIN(e.at) FROM deployment_events e" \
	" WHERE e.deployment_id = deployments.id" \
	" AND " status_of_event " = 'succeeded') END;"
#define M015_INDEX \
	"CREATE INDEX deployments_dora ON deployments (environment," \
	" created_at, id, service, status, started_us, finished_us," \
	" succeeded_us, rollback_of, release_type, commit_at, release_id);"
/* An RFC 3339 text as microseconds (to the millisecond on SQLite). */
#define M015_US_SQLITE(x) \
	"CAST(ROUND((julianday(" x ") - 2440587.5) * 86400000.0)" \
	" AS INTEGER) * 1000"
#define M015_US_PG(x) \
	"CAST(EXTRACT(EPOCH FROM CAST(" x " AS timestamptz)) * 1000000" \
	" AS BIGINT)"
static const char m015[] =
	M015_COLUMNS
	"UPDATE releases SET commit_at = "
	M015_US_SQLITE("json_extract(doc, '$.commit_time')")
	" WHERE doc <> '';"
	"UPDATE deployments SET"
	" started_us = " M015_US_SQLITE("json_extract(doc, '$.started_at')") ","
	" finished_us = " M015_US_SQLITE("json_extract(doc, '$.finished_at')") ","
	" rollback_of = json_extract(doc, '$.rollback_of'),"
	M015_RELEASE_OF_DEPLOYMENT
	" WHERE doc <> '';"
	M015_SUCCEEDED("json_extract(e.doc, '$.status')")
	M015_INDEX;
static const char m015_pg[] =
	M015_COLUMNS
	"UPDATE releases SET commit_at = "
	M015_US_PG("doc::json ->> 'commit_time'")
	" WHERE doc <> '';"
	"UPDATE deployments SET"
	" started_us = " M015_US_PG("doc::json ->> 'started_at'") ","
	" finished_us = " M015_US_PG("doc::json ->> 'finished_at'") ","
	" rollback_of = (doc::json ->> 'rollback_of')::bigint,"
	M015_RELEASE_OF_DEPLOYMENT
	" WHERE doc <> '';"
	M015_SUCCEEDED("e.doc::json ->> 'status'")
	M015_INDEX;
/* clang-format on */

const struct sl_migration sl_migrations[] = {
	{1,
	 "release record: services, environments, releases, deployments, "
	 "tokens, audit, idempotency",
	 m001},
	{2,
	 "governance: token scopes, policies, approvals, checklists, change "
	 "requests, windows, grants, reviews",
	 m002},
	{3, "an index for the gate's concurrency check", m003},
	{4, "token expiry and last use", m004},
	{5, "approvals voided by an edit of the release", m005},
	{6, "the audit log's Merkle tree, checkpoints and identity", m006},
	{7,
	 "audit entries as JSON Patches with their scope, numbered apart "
	 "from the writes",
	 m007},
	{8, "dashboard sessions", m008},
	{9, "inbound webhooks: receivers, deliveries, deployment links", m009},
	{10, "incidents, their services, causes and known-issue releases",
	 m010},
	{11, "notifications: subscriptions and the outbox", m011},
	{12, "verification after a deployment: policies and runs", m012},
	{13, "imports: source ids; placements by deployment time", m013},
	{14, "retention: archives and the objects they took", m014},
	{15,
	 "delivery metrics: what they read of a deployment and its release "
	 "as columns, one covering index",
	 m015},
	{16, "imports: found by the object they brought in", m016},
	{17, "gate refusals of deployment starts, for delivery metrics", m017},
};

const size_t sl_migrations_count =
	sizeof(sl_migrations) / sizeof(sl_migrations[0]);

const struct sl_migration sl_migrations_pg[] = {
	{15, "delivery metrics (PostgreSQL's JSON spelling)", m015_pg},
};
const size_t sl_migrations_pg_count =
	sizeof(sl_migrations_pg) / sizeof(sl_migrations_pg[0]);
