//! Demo and benchmark leases: the scale seed's set-based SQL at a small count (one current
//! lease per let unit, ended ones before it, never overlapping, each with its rent
//! history), and the demo leases' consistency with their units.

use crate::common::TestApp;

#[tokio::test]
async fn scale_leases_never_overlap_and_each_has_its_initial_rent() {
    let app = TestApp::spawn().await;
    let m = app.municipality_id("5035").await;
    let t = app.tenant("5035").await;
    let before: i64 = t.scalar("SELECT count(*) FROM leases", &[]).await;
    let free: i64 = t
        .scalar(
            "SELECT count(*) FROM dwellings d WHERE d.status IN ('let', 'notice_given')
               AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.dwelling_id = d.id)",
            &[],
        )
        .await;
    assert!(free > 20, "{free} let units without a lease");
    // More leases than units: every unit gets its current lease and some ended ones.
    let count = free * 2 + 7;
    let created = {
        let mut tx = app.owner.begin().await.unwrap();
        let n = bosak::leases::seed::seed_leases(&mut tx, m, count, app.today())
            .await
            .expect("the scale leases load");
        tx.commit().await.unwrap();
        n
    };
    assert_eq!(created as i64, count);
    let after: i64 = t.scalar("SELECT count(*) FROM leases", &[]).await;
    assert_eq!(after - before, count);
    let check = |sql: &'static str| {
        let t = &t;
        async move { t.scalar::<i64>(sql, &[]).await }
    };
    assert_eq!(
        check(
            "SELECT count(*) FROM leases a JOIN leases b ON a.dwelling_id = b.dwelling_id AND a.id < b.id
              WHERE a.occupancy && b.occupancy AND a.status <> 'draft' AND b.status <> 'draft'"
        )
        .await,
        0,
        "no two leases of a unit overlap"
    );
    assert_eq!(
        check(
            "SELECT count(*) FROM leases l WHERE NOT EXISTS (SELECT 1 FROM lease_rent_changes r
               WHERE r.lease_id = l.id AND r.reason = 'initial' AND r.effective_on = l.starts_on
                 AND r.monthly_rent = l.monthly_rent)"
        )
        .await,
        0,
        "every lease, demo and scale, has its initial rent"
    );
    assert_eq!(
        check(
            "SELECT count(*) FROM (SELECT lease_id, count(*) AS n FROM lease_rent_changes GROUP BY lease_id) x
              WHERE n NOT BETWEEN 1 AND 4"
        )
        .await,
        0,
        "one to four rent changes"
    );
    assert!(check("SELECT count(*) FROM lease_rent_changes WHERE reason = 'cpi'").await > 0);
    assert!(check("SELECT count(*) FROM leases WHERE status = 'ended'").await >= free);
    assert_eq!(
        check(
            "SELECT count(*) FROM dwellings d WHERE d.status IN ('let', 'notice_given')
               AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.dwelling_id = d.id AND l.status <> 'ended')"
        )
        .await,
        0,
        "every let unit has its current lease"
    );
    assert_eq!(
        check(
            "SELECT count(*) FROM leases l JOIN dwellings d ON d.id = l.dwelling_id
              WHERE l.status IN ('active', 'notice_given') AND d.status NOT IN ('let', 'notice_given')"
        )
        .await,
        0,
        "a unit with a current lease is let"
    );
    assert_eq!(
        check("SELECT ((SELECT next_no FROM lease_number_counters) - max(lease_no))::int8 FROM leases")
            .await,
        1,
        "the number counter is past every lease number"
    );
}

#[tokio::test]
async fn demo_leases_cover_the_expiry_list_the_warning_and_every_status() {
    let app = TestApp::spawn().await;
    let today = app.today();
    for number in ["5037", "5038", "5035"] {
        let t = app.tenant(number).await;
        let n = |sql: &'static str| {
            let t = &t;
            async move {
                t.scalar::<i64>(sql, &[crate::common::fixtures::Arg::Date(today)])
                    .await
            }
        };
        let total = n("SELECT count(*) FROM leases WHERE $1 IS NOT NULL").await;
        assert!((10..=20).contains(&total), "{number}: {total} demo leases");
        assert!(
            n("SELECT count(*) FROM leases WHERE status = 'active' AND ends_on BETWEEN $1 AND $1 + 183
                 AND demand_to_move_on IS NULL").await >= 2,
            "{number}: ending within six months without a demand to move"
        );
        assert!(n("SELECT count(*) FROM leases WHERE demand_to_move_on IS NOT NULL AND $1 IS NOT NULL").await >= 1);
        assert!(
            n("SELECT count(*) FROM leases WHERE short_term_ground_id IS NOT NULL
                 AND short_term_notice_on < signed_on AND ends_on < (starts_on + interval '3 years')::date - 1
                 AND $1 IS NOT NULL").await >= 1
        );
        for status in ["notice_given", "ended"] {
            let c: i64 = t
                .scalar(
                    "SELECT count(*) FROM leases WHERE status::text = $1",
                    &[crate::common::fixtures::Arg::Text(status.into())],
                )
                .await;
            assert_eq!(c, 1, "{number}: one {status}");
        }
        assert!(n("SELECT count(*) FROM lease_rent_changes WHERE reason = 'cpi' AND effective_on <= $1").await >= 1);
        assert_eq!(
            n(
                "SELECT count(*) FROM leases l JOIN dwellings d ON d.id = l.dwelling_id
                WHERE (l.status = 'active' AND d.status <> 'let')
                   OR (l.status = 'notice_given' AND d.status <> 'notice_given')
                   OR (l.status = 'ended' AND d.status = 'let') OR $1 IS NULL"
            )
            .await,
            0,
            "{number}: the units follow their leases"
        );
        assert_eq!(
            n(
                "SELECT count(*) FROM leases l WHERE NOT EXISTS (SELECT 1 FROM lease_rent_changes r
                 WHERE r.lease_id = l.id AND r.reason = 'initial') OR $1 IS NULL"
            )
            .await,
            0
        );
    }
}
