//! Distributing Bosak's schema on a Citus cluster (issue 19; docs/SCALING.md, "Citus:
//! verified"). `bosak citus distribute` reads the catalog and places every table:
//!
//! * a tenant table (no `global:` comment, the rule `schema-invariants.sh` uses) is
//!   distributed by `municipality_id`, all of them co-located with the first one placed, so
//!   a municipality's rows of every table live on one node;
//! * a global table (`COMMENT ON TABLE … IS 'global: …'`) becomes a reference table (a copy
//!   on every node).
//!
//! Tables are placed in foreign-key order (a referenced table before the tables that
//! reference it), which Citus requires. Tables already placed the same way are skipped, so
//! the command is idempotent; a table already placed another way, a tenant table without a
//! `NOT NULL municipality_id`, or a foreign-key cycle is refused with the table's name.
//! The planning is pure ([`plan`]); the catalog reads and the calls are in this file's
//! functions that take a pool.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use sqlx::PgPool;

/// The distribution column of every tenant table.
pub const DISTRIBUTION_COLUMN: &str = "municipality_id";

/// How Citus holds a table today (`pg_dist_partition.partmethod`, and `repmodel` for
/// reference tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Not in Citus's metadata: a plain table on the coordinator.
    Local,
    /// Hash-distributed by the given column.
    Distributed,
    /// A reference table.
    Reference,
    /// A Citus local table (added to the metadata, kept on the coordinator).
    CitusLocal,
}

/// What the catalog says about one table.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    pub global: bool,
    /// A global table whose comment says `(citus: coordinator)`: kept on the coordinator.
    pub coordinator: bool,
    /// Row level security is forced on the owner too (every tenant table).
    pub force_rls: bool,
    /// `None` when the table has no `municipality_id`; `Some(true)` when it is nullable.
    pub municipality_id_nullable: Option<bool>,
    /// The column it is distributed by, when it is distributed.
    pub distributed_by: Option<String>,
    pub placement: Placement,
    /// Its foreign keys to other tables (not to itself).
    pub references: Vec<ForeignKey>,
}

/// A foreign key set aside to break a cycle: (its table, the key).
pub type DeferredKey = (String, ForeignKey);

/// One foreign key of a table, as the catalog has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    /// The referenced table.
    pub target: String,
    /// `pg_get_constraintdef`, to add it back after it was dropped to break a cycle.
    pub definition: String,
}

/// One step of the plan: the SQL to run, or a note that the table is already placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Reference(String),
    Distribute {
        table: String,
        colocate_with: Option<String>,
        force_rls: bool,
    },
    /// A global table kept on the coordinator, in Citus's metadata (`audit_events`).
    CoordinatorLocal(String),
    AlreadyReference(String),
    AlreadyDistributed(String),
    AlreadyCoordinatorLocal(String),
    /// A foreign key that closes a cycle, dropped before the tables are placed...
    DropForeignKey {
        table: String,
        key: ForeignKey,
    },
    /// ...and added back once both sides are distributed (co-located, so Citus accepts it).
    AddForeignKey {
        table: String,
        key: ForeignKey,
    },
}

impl Step {
    /// The SQL of the step; `None` for tables already placed.
    pub fn sql(&self) -> Option<String> {
        match self {
            Step::Reference(t) => Some(format!("SELECT create_reference_table('public.{t}');")),
            Step::Distribute {
                table,
                colocate_with,
                force_rls,
            } => {
                let distribute = format!(
                    "SELECT create_distributed_table('public.{table}', '{DISTRIBUTION_COLUMN}', colocate_with => '{}');",
                    colocate_with
                        .as_deref()
                        .map(|c| format!("public.{c}"))
                        .unwrap_or_else(|| "none".to_string())
                );
                // Citus moves the table's rows into the shards with COPY, which PostgreSQL
                // refuses on a table whose row level security applies to the current role
                // ("COPY FROM not supported with row-level security"), the owner included
                // when it is forced. Not forced for the owner during the copy, forced again
                // in the same transaction (the shards get it too); nobody else sees the
                // table meanwhile (ALTER TABLE holds an exclusive lock to the commit).
                //
                // The copy fires the table's triggers on the shards (an insert per row), which
                // must not run again for rows that are already there (the epochs and the rent
                // ledger's open items are already counted): they are off during the copy.
                Some(if *force_rls {
                    format!(
                        "ALTER TABLE public.{table} NO FORCE ROW LEVEL SECURITY; \
                         ALTER TABLE public.{table} DISABLE TRIGGER USER; {distribute} \
                         ALTER TABLE public.{table} ENABLE TRIGGER USER; \
                         ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY;"
                    )
                } else {
                    format!(
                        "ALTER TABLE public.{table} DISABLE TRIGGER USER; {distribute} \
                         ALTER TABLE public.{table} ENABLE TRIGGER USER;"
                    )
                })
            }
            // Citus drops the table's comment when it converts it, and the comment is what
            // says the table is global (and is kept here): put it back.
            Step::CoordinatorLocal(t) => Some(format!(
                "DO $$ DECLARE c text := obj_description('public.{t}'::regclass, 'pg_class'); \
                 BEGIN PERFORM citus_add_local_table_to_metadata('public.{t}'); \
                 EXECUTE format('COMMENT ON TABLE public.{t} IS %L', c); END $$;"
            )),
            Step::DropForeignKey { table, key } => Some(format!(
                "ALTER TABLE public.{table} DROP CONSTRAINT {};",
                key.name
            )),
            Step::AddForeignKey { table, key } => Some(format!(
                "ALTER TABLE public.{table} ADD CONSTRAINT {} {};",
                key.name, key.definition
            )),
            Step::AlreadyReference(_)
            | Step::AlreadyDistributed(_)
            | Step::AlreadyCoordinatorLocal(_) => None,
        }
    }

    /// The step's statements one by one: Citus sends a DDL statement's text on to the
    /// workers, where several commands in one text are refused.
    pub fn statements(&self) -> Vec<String> {
        match self.sql() {
            Some(sql) if matches!(self, Step::Distribute { .. }) => sql
                .split_inclusive("; ")
                .map(|s| s.trim().to_string())
                .collect(),
            Some(sql) => vec![sql],
            None => Vec::new(),
        }
    }

    pub fn table(&self) -> &str {
        match self {
            Step::Reference(t)
            | Step::CoordinatorLocal(t)
            | Step::AlreadyReference(t)
            | Step::AlreadyDistributed(t)
            | Step::AlreadyCoordinatorLocal(t)
            | Step::Distribute { table: t, .. }
            | Step::DropForeignKey { table: t, .. }
            | Step::AddForeignKey { table: t, .. } => t,
        }
    }
}

/// Tables in foreign-key order: every table after the tables it references; ties in
/// name order, so the plan is the same on every run. Where foreign keys form a cycle
/// (`applications.renews_lease_id` → `leases` → … → `applications`), the first table of the
/// cycle by name has its foreign keys into the cycle set aside: they are returned as
/// (table, key), to be dropped before and added back after the tables are placed.
pub fn dependency_order(tables: &[TableInfo]) -> anyhow::Result<(Vec<String>, Vec<DeferredKey>)> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let by_name: BTreeMap<&str, &TableInfo> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    // Only edges between the tables being placed count (Citus's own tables are not listed).
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| {
            let deps = t
                .references
                .iter()
                .map(|k| k.target.as_str())
                .filter(|r| *r != t.name && names.contains(r))
                .collect();
            (t.name.as_str(), deps)
        })
        .collect();
    let mut order = Vec::with_capacity(tables.len());
    let mut deferred = Vec::new();
    while !pending.is_empty() {
        let ready: Vec<&str> = pending
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            // What is left is the cycles and the tables that depend on them; drop the
            // latter (tables nothing left references) to find a table on a cycle.
            let mut cycles = pending.clone();
            loop {
                let referenced: BTreeSet<&str> = cycles.values().flatten().copied().collect();
                let before = cycles.len();
                cycles.retain(|n, _| referenced.contains(n));
                if cycles.len() == before {
                    break;
                }
            }
            let Some(&breaker) = cycles.keys().next() else {
                bail!("cannot order the tables: foreign keys form a cycle");
            };
            let cut = std::mem::take(pending.get_mut(breaker).expect("pending table"));
            for key in &by_name[breaker].references {
                if cut.contains(key.target.as_str()) {
                    deferred.push((breaker.to_string(), key.clone()));
                }
            }
            continue;
        }
        for n in ready {
            pending.remove(n);
            for deps in pending.values_mut() {
                deps.remove(n);
            }
            order.push(n.to_string());
        }
    }
    Ok((order, deferred))
}

/// The steps that place every table, in foreign-key order, or the first table that cannot
/// be placed and why.
pub fn plan(tables: &[TableInfo]) -> anyhow::Result<Vec<Step>> {
    let by_name: BTreeMap<&str, &TableInfo> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let (order, deferred) = dependency_order(tables)?;
    // Every tenant table joins the colocation group of the first one: an already
    // distributed table when there is one (a second run), else the first in order.
    let mut anchor: Option<String> = tables
        .iter()
        .filter(|t| !t.global && t.placement == Placement::Distributed)
        .map(|t| t.name.clone())
        .min();
    // A key that closes a cycle only has to go while one of its sides is still local.
    let deferred: Vec<(String, ForeignKey)> = deferred
        .into_iter()
        .filter(|(table, key)| {
            [table.as_str(), key.target.as_str()].iter().any(|t| {
                by_name
                    .get(t)
                    .is_some_and(|i| i.placement == Placement::Local)
            })
        })
        .collect();
    let mut steps: Vec<Step> = deferred
        .iter()
        .map(|(table, key)| Step::DropForeignKey {
            table: table.clone(),
            key: key.clone(),
        })
        .collect();
    for name in order {
        let t = by_name[name.as_str()];
        if t.global {
            // A global table marked `(citus: coordinator)` in its comment (audit_events: it
            // holds rows of no tenant, logins, so it cannot be distributed by
            // municipality_id, and as a reference table every write would go to every
            // node) stays on the coordinator, in Citus's metadata so that distributed
            // queries may join it.
            let local = t.coordinator;
            match (t.placement, local) {
                (Placement::Reference, false) => steps.push(Step::AlreadyReference(name)),
                (Placement::CitusLocal, true) => steps.push(Step::AlreadyCoordinatorLocal(name)),
                (Placement::Local, false) => steps.push(Step::Reference(name)),
                (Placement::Local, true) => steps.push(Step::CoordinatorLocal(name)),
                (other, _) => bail!(
                    "cannot place {name}: it is a global table (its comment starts with \
                     'global:') and should be {}, but Citus already holds it as {other:?}",
                    if local {
                        "kept on the coordinator (its comment says '(citus: coordinator)')"
                    } else {
                        "a reference table"
                    }
                ),
            }
            continue;
        }
        match t.municipality_id_nullable {
            None => bail!(
                "cannot place {name}: it is a tenant table (no 'global:' comment) without a \
                 {DISTRIBUTION_COLUMN} column to distribute it by"
            ),
            Some(true) => bail!(
                "cannot place {name}: its {DISTRIBUTION_COLUMN} is nullable, and a \
                 distribution column cannot hold NULL"
            ),
            Some(false) => {}
        }
        match t.placement {
            Placement::Distributed if t.distributed_by.as_deref() == Some(DISTRIBUTION_COLUMN) => {
                steps.push(Step::AlreadyDistributed(name))
            }
            Placement::Local => {
                let colocate_with = anchor.clone();
                if anchor.is_none() {
                    anchor = Some(name.clone());
                }
                steps.push(Step::Distribute {
                    table: name,
                    colocate_with,
                    force_rls: t.force_rls,
                });
            }
            other => bail!(
                "cannot place {name}: it is a tenant table and should be distributed by \
                 {DISTRIBUTION_COLUMN}, but Citus already holds it as {other:?}{}",
                t.distributed_by
                    .as_deref()
                    .map(|c| format!(" by {c}"))
                    .unwrap_or_default()
            ),
        }
    }
    steps.extend(
        deferred
            .into_iter()
            .map(|(table, key)| Step::AddForeignKey { table, key }),
    );
    Ok(steps)
}

/// Whether the database has the Citus extension.
pub async fn has_citus(pool: &PgPool) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
            .fetch_one(pool)
            .await?,
    )
}

/// Every table of the `public` schema (not partitions, not Citus's shards, which it hides
/// from most clients anyway, not sqlx's migration table) with
/// what [`plan`] needs.
pub async fn tables(pool: &PgPool) -> anyhow::Result<Vec<TableInfo>> {
    type Row = (
        String,
        bool,
        bool,
        bool,
        Option<bool>,
        Option<String>,
        Option<String>,
        Vec<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        r#"
        SELECT c.relname::text,
               coalesce(obj_description(c.oid, 'pg_class'), '') LIKE 'global:%',
               coalesce(obj_description(c.oid, 'pg_class'), '') LIKE '%(citus: coordinator)%',
               c.relforcerowsecurity,
               (SELECT NOT a.attnotnull FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped),
               (SELECT CASE WHEN p.partmethod = 'h' THEN 'distributed'
                            WHEN p.partmethod = 'n' AND p.repmodel = 't' THEN 'reference'
                            WHEN p.partmethod = 'n' THEN 'citus_local'
                            ELSE p.partmethod::text END
                  FROM pg_dist_partition p WHERE p.logicalrelid = c.oid),
               (SELECT column_to_column_name(p.logicalrelid, p.partkey)
                  FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.partmethod = 'h'),
               coalesce((SELECT array_agg(k.conname::text || E'\t' || f.relname::text || E'\t'
                                          || pg_get_constraintdef(k.oid) ORDER BY k.conname)
                           FROM pg_constraint k JOIN pg_class f ON f.oid = k.confrelid
                          WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid),
                        '{}')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT LIKE '\_sqlx%' AND NOT relation_is_a_known_shard(c.oid)
         ORDER BY c.relname
        "#,
    )
    .bind(DISTRIBUTION_COLUMN)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(
            |(name, global, coordinator, force_rls, nullable, placement, by, references)| {
                let placement = match placement.as_deref() {
                    None => Placement::Local,
                    Some("distributed") => Placement::Distributed,
                    Some("reference") => Placement::Reference,
                    Some("citus_local") => Placement::CitusLocal,
                    Some(other) => bail!("{name}: unknown Citus partition method {other}"),
                };
                let references = references
                    .iter()
                    .map(|k| {
                        let mut parts = k.splitn(3, '\t');
                        match (parts.next(), parts.next(), parts.next()) {
                            (Some(name), Some(target), Some(definition)) => Ok(ForeignKey {
                                name: name.to_string(),
                                target: target.to_string(),
                                definition: definition.to_string(),
                            }),
                            _ => bail!("{name}: cannot read the foreign key {k}"),
                        }
                    })
                    .collect::<anyhow::Result<_>>()?;
                Ok(TableInfo {
                    name,
                    global,
                    coordinator: global && coordinator,
                    force_rls,
                    municipality_id_nullable: nullable,
                    distributed_by: by,
                    placement,
                    references,
                })
            },
        )
        .collect()
}

/// Set in the transaction of the steps.
///
/// * `enable_local_reference_table_foreign_keys = off`: with it on (Citus's default), making
///   a table a reference table converts every local table connected to it by foreign keys
///   into a Citus local table, which fails on tables with row level security policies
///   ("cannot create policy"); off, the tenant tables' foreign keys to it stay as they are
///   until those tables are distributed in their turn.
/// * `enable_unsafe_triggers = on`: Citus refuses tables with triggers otherwise. Bosak's
///   triggers on tenant tables run on the shard of the row (docs/SCALING.md, "Triggers on
///   Citus" says which touch only their own row and which touch other tables).
/// * `multi_shard_modify_mode = sequential`: every step runs in one transaction (a failure
///   leaves nothing half-placed, no dropped foreign key), and Citus needs one connection per
///   node for DDL on tables that reference reference tables in one transaction.
pub const SESSION_SETTINGS: &str =
    "SET LOCAL citus.enable_local_reference_table_foreign_keys = off;
SET LOCAL citus.enable_unsafe_triggers = on;
SET LOCAL citus.multi_shard_modify_mode = 'sequential';";

/// Every `tenant_isolation` policy as Citus accepts it on a distributed table:
/// `municipality_id = ANY (bosak_visible_municipalities())`, without the subquery
/// (`(SELECT bosak_visible_municipalities())`) the migrations write. Same meaning. One plain
/// PostgreSQL keeps the subquery: it is an init plan evaluated once per statement, where the
/// direct call is evaluated per row wherever it is a filter rather than an index condition
/// (a sequential scan of 1 M rows took 2× as long). A policy with another expression stops
/// the run, so a table given a different rule is looked at instead of silently changed.
/// Idempotent; runs in the transaction of the steps, before them, and again after a migration
/// adds a table.
pub const POLICIES: &str = r#"DO $$
DECLARE p record;
BEGIN
  FOR p IN
    SELECT c.relname, pg_get_expr(pol.polqual, pol.polrelid) AS qual,
           pol.polwithcheck IS NOT NULL AS has_check
      FROM pg_policy pol
      JOIN pg_class c ON c.oid = pol.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND pol.polname = 'tenant_isolation'
     ORDER BY c.relname
  LOOP
    IF p.qual <> '(municipality_id = ANY (( SELECT bosak_visible_municipalities() AS bosak_visible_municipalities)::uuid[]))'
       AND p.qual <> '(municipality_id = ANY (bosak_visible_municipalities()))' THEN
      RAISE EXCEPTION 'tenant_isolation on % is not the usual policy: %', p.relname, p.qual;
    END IF;
    IF p.has_check THEN
      EXECUTE format('ALTER POLICY tenant_isolation ON %I
        USING (municipality_id = ANY (bosak_visible_municipalities()))
        WITH CHECK (municipality_id = ANY (bosak_visible_municipalities()))', p.relname);
    ELSE
      EXECUTE format('ALTER POLICY tenant_isolation ON %I
        USING (municipality_id = ANY (bosak_visible_municipalities()))', p.relname);
    END IF;
  END LOOP;
END
$$;"#;

/// Set on the database, so every later session has them: `bosak migrate` on a distributed
/// database creates triggers (`enable_unsafe_triggers`), and `db::scoped_tx`'s `SET LOCAL
/// bosak.municipalities` reaches the workers, where the policies run, only with
/// `propagate_set_commands = 'local'`.
pub fn database_settings(database: &str) -> String {
    format!(
        "ALTER DATABASE \"{database}\" SET citus.propagate_set_commands = 'local';
ALTER DATABASE \"{database}\" SET citus.enable_unsafe_triggers = on;"
    )
}

/// Runs the steps' SQL in one transaction and sets [`database_settings`].
pub async fn run(pool: &PgPool, steps: &[Step]) -> anyhow::Result<()> {
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(pool)
        .await?;
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(SESSION_SETTINGS).execute(&mut *tx).await?;
    sqlx::raw_sql(POLICIES).execute(&mut *tx).await?;
    for step in steps {
        for sql in step.statements() {
            sqlx::raw_sql(&sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| anyhow::anyhow!("cannot place {}: {sql} failed: {e}", step.table()))?;
        }
    }
    tx.commit().await?;
    sqlx::raw_sql(&database_settings(&database))
        .execute(pool)
        .await?;
    Ok(())
}

/// How many tables Citus holds in each way: (distributed, reference, other).
pub async fn counts(pool: &PgPool) -> anyhow::Result<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE partmethod = 'h'),
                count(*) FILTER (WHERE partmethod = 'n' AND repmodel = 't'),
                count(*) FILTER (WHERE NOT (partmethod = 'h' OR (partmethod = 'n' AND repmodel = 't')))
           FROM pg_dist_partition",
    )
    .fetch_one(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, global: bool, nullable: Option<bool>, refs: &[&str]) -> TableInfo {
        TableInfo {
            name: name.to_string(),
            global,
            coordinator: false,
            force_rls: !global,
            municipality_id_nullable: nullable,
            distributed_by: None,
            placement: Placement::Local,
            references: refs
                .iter()
                .map(|r| ForeignKey {
                    name: format!("{name}_{r}_fkey"),
                    target: r.to_string(),
                    definition: format!(
                        "FOREIGN KEY (municipality_id, x) REFERENCES {r}(municipality_id, id)"
                    ),
                })
                .collect(),
        }
    }

    #[test]
    fn referenced_tables_come_first_and_ties_go_by_name() {
        let tables = vec![
            table("leases", false, Some(false), &["units", "municipalities"]),
            table("units", false, Some(false), &["municipalities", "units"]),
            table("municipalities", true, None, &[]),
            table("areas", false, Some(false), &["municipalities"]),
        ];
        let (order, deferred) = dependency_order(&tables).unwrap();
        assert_eq!(order, ["municipalities", "areas", "units", "leases"]);
        assert!(deferred.is_empty());
    }

    #[test]
    fn a_cycle_is_broken_at_its_first_table_and_the_key_added_back_at_the_end() {
        let tables = vec![
            table("a", false, Some(false), &["b", "c"]),
            table("b", false, Some(false), &["a"]),
            table("c", false, Some(false), &[]),
            table("d", false, Some(false), &["a"]),
        ];
        let (order, deferred) = dependency_order(&tables).unwrap();
        assert_eq!(order, ["c", "a", "b", "d"]);
        // Only a's key into the cycle goes; its key to c (not on the cycle) stays.
        assert_eq!(deferred.len(), 1);
        assert_eq!(
            (deferred[0].0.as_str(), deferred[0].1.name.as_str()),
            ("a", "a_b_fkey")
        );
        let steps = plan(&tables).unwrap();
        assert_eq!(
            steps.first().unwrap().sql().unwrap(),
            "ALTER TABLE public.a DROP CONSTRAINT a_b_fkey;"
        );
        assert_eq!(
            steps.last().unwrap().sql().unwrap(),
            "ALTER TABLE public.a ADD CONSTRAINT a_b_fkey FOREIGN KEY (municipality_id, x) REFERENCES b(municipality_id, id);"
        );
        // Once both sides are distributed, a second run leaves the key alone.
        let placed: Vec<TableInfo> = tables
            .into_iter()
            .map(|mut t| {
                t.placement = Placement::Distributed;
                t.distributed_by = Some(DISTRIBUTION_COLUMN.into());
                t
            })
            .collect();
        let steps = plan(&placed).unwrap();
        assert!(steps.iter().all(|s| s.sql().is_none()), "{steps:?}");
    }

    #[test]
    fn a_global_table_marked_coordinator_stays_there() {
        let mut audit = table("audit_events", true, Some(true), &[]);
        audit.coordinator = true;
        let memberships = table("memberships", true, Some(true), &[]);
        assert_eq!(
            plan(&[memberships]).unwrap(),
            [Step::Reference("memberships".into())]
        );
        let tables = vec![audit.clone()];
        let steps = plan(&tables).unwrap();
        assert_eq!(steps, [Step::CoordinatorLocal("audit_events".into())]);
        let sql = steps[0].sql().unwrap();
        assert!(
            sql.contains("citus_add_local_table_to_metadata('public.audit_events')")
                && sql.contains("COMMENT ON TABLE public.audit_events"),
            "{sql}"
        );
        let mut placed = audit;
        placed.placement = Placement::CitusLocal;
        assert_eq!(
            plan(&[placed]).unwrap(),
            [Step::AlreadyCoordinatorLocal("audit_events".into())]
        );
    }

    #[test]
    fn tenant_tables_are_colocated_with_the_first_and_globals_are_reference_tables() {
        let tables = vec![
            table("municipalities", true, None, &[]),
            table("areas", false, Some(false), &["municipalities"]),
            table("units", false, Some(false), &["areas"]),
        ];
        let steps = plan(&tables).unwrap();
        assert_eq!(
            steps,
            [
                Step::Reference("municipalities".into()),
                Step::Distribute {
                    table: "areas".into(),
                    colocate_with: None,
                    force_rls: true
                },
                Step::Distribute {
                    table: "units".into(),
                    colocate_with: Some("areas".into()),
                    force_rls: true
                },
            ]
        );
        assert_eq!(
            steps[2].sql().unwrap(),
            "ALTER TABLE public.units NO FORCE ROW LEVEL SECURITY; \
             ALTER TABLE public.units DISABLE TRIGGER USER; \
             SELECT create_distributed_table('public.units', 'municipality_id', colocate_with => 'public.areas'); \
             ALTER TABLE public.units ENABLE TRIGGER USER; \
             ALTER TABLE public.units FORCE ROW LEVEL SECURITY;"
        );
        assert_eq!(steps[2].statements().len(), 5);
        assert_eq!(
            steps[1].sql().unwrap(),
            "ALTER TABLE public.areas NO FORCE ROW LEVEL SECURITY; \
             ALTER TABLE public.areas DISABLE TRIGGER USER; \
             SELECT create_distributed_table('public.areas', 'municipality_id', colocate_with => 'none'); \
             ALTER TABLE public.areas ENABLE TRIGGER USER; \
             ALTER TABLE public.areas FORCE ROW LEVEL SECURITY;"
        );
    }

    #[test]
    fn a_second_run_skips_placed_tables_and_joins_the_existing_group() {
        let mut areas = table("areas", false, Some(false), &[]);
        areas.placement = Placement::Distributed;
        areas.distributed_by = Some("municipality_id".into());
        let mut munis = table("municipalities", true, None, &[]);
        munis.placement = Placement::Reference;
        let tables = vec![areas, munis, table("units", false, Some(false), &["areas"])];
        let steps = plan(&tables).unwrap();
        assert_eq!(
            steps,
            [
                Step::AlreadyDistributed("areas".into()),
                Step::AlreadyReference("municipalities".into()),
                Step::Distribute {
                    table: "units".into(),
                    colocate_with: Some("areas".into()),
                    force_rls: true
                },
            ]
        );
        assert!(steps[0].sql().is_none());
    }

    #[test]
    fn tables_that_cannot_be_placed_are_refused_by_name() {
        let err = plan(&[table("notes", false, None, &[])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot place notes") && err.contains("without a municipality_id"),
            "{err}"
        );
        let err = plan(&[table("log", false, Some(true), &[])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot place log") && err.contains("nullable"),
            "{err}"
        );
        let mut wrong = table("units", false, Some(false), &[]);
        wrong.placement = Placement::Distributed;
        wrong.distributed_by = Some("id".into());
        let err = plan(&[wrong]).unwrap_err().to_string();
        assert!(
            err.contains("cannot place units") && err.contains("by id"),
            "{err}"
        );
        let mut global = table("users", true, None, &[]);
        global.placement = Placement::Distributed;
        let err = plan(&[global]).unwrap_err().to_string();
        assert!(err.contains("cannot place users"), "{err}");
    }
}
