//! Lease import from CSV: preview with every line's errors, all-or-nothing confirm,
//! idempotence by unit and start date, Windows-1252, the husleieloven rules per line,
//! overlaps, permissions, tenant isolation and the audit event.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::fixtures::Arg;
use crate::common::{Client, Page, TestApp};

const HEADER: &str = "Eiendom;Bruksenhetsnummer;Leietaker;Fødselsnummer;Fødselsdato;Telefon;Startdato;Sluttdato;Månedsleie;Depositumstype;Depositum;Depositumskonto;Garantist;Grunnlag § 11-1;Varsel § 11-1 dato;Signert dato;Status;Avsluttet dato;Avslutningsårsak";

/// Uploads `bytes` as the user (choosing `municipality` when given) and follows to the
/// preview; a refused upload is its 422 page.
async fn upload(c: &mut Client, bytes: Vec<u8>, municipality: Option<&str>) -> Page {
    let fields: Vec<(&str, &str)> = municipality
        .map(|m| ("municipality", m))
        .into_iter()
        .collect();
    c.post_file(
        "/leiekontrakter/import",
        &fields,
        ("leiekontrakter.csv", "text/csv", bytes),
    )
    .await
}

fn confirm_path(preview: &Page) -> String {
    preview
        .attr("form[action$='/bekreft']", "action")
        .unwrap_or_else(|| panic!("a confirm button: {}", preview.text))
}

/// (property name, unit number, unit id) of units with `status` and no lease yet.
async fn free_units(
    app: &TestApp,
    number: &str,
    status: &str,
    n: i64,
) -> Vec<(String, String, Uuid)> {
    let t = app.tenant(number).await;
    let mut tx = t.tx().await;
    let rows: Vec<(String, String, Uuid)> = sqlx::query_as(
        "SELECT p.name, d.unit_number, d.id FROM dwellings d JOIN properties p ON p.id = d.property_id
          WHERE d.status::text = $1
            AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.dwelling_id = d.id)
          ORDER BY d.id LIMIT $2",
    )
    .bind(status)
    .bind(n)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        rows.len() as i64,
        n,
        "enough {status} units without a lease"
    );
    rows
}

/// A synthetic national id (month + 80) for a birth date written ddmmyy.
fn national_id(ddmmyy_plus80: &str) -> String {
    (0..500)
        .find_map(|i| {
            bosak::applications::model::complete_national_id(&format!("{ddmmyy_plus80}{i:03}"))
        })
        .unwrap()
}

async fn imported(app: &TestApp, number: &str) -> i64 {
    app.tenant(number)
        .await
        .scalar(
            "SELECT count(*) FROM leases WHERE imported AND created_by IS NOT NULL",
            &[],
        )
        .await
}

#[tokio::test]
async fn a_utf8_semicolon_file_previews_imports_and_imports_nothing_new_the_second_time() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let template = c.get("/leiekontrakter/import/mal.csv").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template
        .text
        .starts_with("\u{feff}Eiendom;Bruksenhetsnummer;Leietaker;Fødselsnummer"));

    let vacant = free_units(&app, "5037", "vacant", 1).await.remove(0);
    let let_unit = free_units(&app, "5037", "let", 1).await.remove(0);
    let nid = national_id("158575");
    let start = app.today() - chrono::Duration::days(200);
    let file = format!(
        "{HEADER}\n\
         {};{};Åse Ødegård;{nid};;900 12 345;{};;8 500;Depositumskonto;25 500;1503 12 34562;;;;{};Aktiv;;\n\
         {};{};Bjørn Ås;;03.11.1990;;{};{};7 200;Garanti;21 600;;NAV Levanger;;;;;;\n",
        vacant.0,
        vacant.1,
        start.format("%d.%m.%Y"),
        (start - chrono::Duration::days(10)).format("%d.%m.%Y"),
        let_unit.0,
        let_unit.1,
        app.day(-30),
        (bosak::leases::rules::end_after(app.today() - chrono::Duration::days(30), 36)).format("%d.%m.%Y"),
    );
    let preview = upload(&mut c, file.clone().into_bytes(), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(
        preview
            .text_of("#import-klar")
            .contains("2 nye leiekontrakter, 0 som finnes allerede"),
        "{}",
        preview.text
    );
    assert!(
        preview.text_of("#import-rader").contains("158575*****"),
        "national ids are masked"
    );
    assert!(!preview.text.contains(&nid));
    assert_eq!(
        imported(&app, "5037").await,
        0,
        "nothing saved before confirm"
    );
    assert!(app.audit_count("lease_import.viewed").await >= 1);

    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let result = c.get(done.location.as_deref().unwrap()).await;
    assert!(
        result
            .text_of("#import-resultat")
            .contains("2 nye leiekontrakter"),
        "{}",
        result.text
    );
    let t = app.tenant("5037").await;
    let (name, status, deposit, set_on, effective, rent, unit_status, house_rules): (
        String,
        String,
        i64,
        chrono::NaiveDate,
        chrono::NaiveDate,
        i64,
        String,
        bool,
    ) = {
        let mut tx = t.tx().await;
        let row = sqlx::query_as(
            "SELECT p.name, l.status::text, l.deposit_amount, r.set_on, r.effective_on, r.monthly_rent,
                    d.status::text, l.house_rules_id IS NOT DISTINCT FROM
                      (SELECT id FROM house_rules_versions ORDER BY version_no DESC LIMIT 1)
               FROM leases l JOIN people p ON p.id = l.tenant_id
               JOIN lease_rent_changes r ON r.lease_id = l.id AND r.reason = 'initial'
               JOIN dwellings d ON d.id = l.dwelling_id
              WHERE l.dwelling_id = $1 AND l.imported",
        )
        .bind(vacant.2)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row
    };
    assert_eq!(name, "Åse Ødegård");
    assert_eq!(status, "active");
    assert_eq!(deposit, 2_550_000);
    assert_eq!(
        set_on,
        start - chrono::Duration::days(10),
        "set when signed"
    );
    assert_eq!(effective, start);
    assert_eq!(rent, 850_000);
    assert_eq!(unit_status, "let", "the vacant unit is let now");
    assert!(house_rules, "the newest house rules, if any");
    let moves: i64 = t
        .scalar(
            "SELECT count(*) FROM dwelling_status_changes WHERE dwelling_id = $1 AND to_status = 'let'
               AND from_status = 'vacant' AND effective_on = $2",
            &[Arg::Id(vacant.2), Arg::Date(start)],
        )
        .await;
    assert_eq!(moves, 1, "the unit's status history records the move in");
    // The same person is reused by national id on a later import; numbers are distinct.
    let (numbers, distinct, counter): (i64, i64, i32) = {
        let mut tx = t.tx().await;
        let row = sqlx::query_as(
            "SELECT count(*), count(DISTINCT lease_no),
                    (SELECT next_no FROM lease_number_counters) - max(lease_no)
               FROM leases",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row
    };
    assert_eq!(numbers, distinct);
    assert_eq!(counter, 1, "the counter is past every number given");
    assert_eq!(app.audit_count("lease.imported").await, 1);
    let details: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'lease.imported'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(details["created"], 2);
    assert_eq!(details["existing"], 0);

    // A second click on the same confirmation changes nothing.
    let again = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(imported(&app, "5037").await, 2);
    // Uploading the same file again: both lines exist, nothing is offered to import.
    let preview = upload(&mut c, file.into_bytes(), None).await;
    assert!(
        preview
            .text_of("#import-klar")
            .contains("0 nye leiekontrakter, 2 som finnes allerede"),
        "{}",
        preview.text
    );
    assert_eq!(
        preview
            .texts("#import-rader .ds-tag")
            .iter()
            .filter(|t| t.contains("Finnes allerede"))
            .count(),
        2
    );
    assert_eq!(preview.count("form[action$='/bekreft']"), 0);
    assert_eq!(imported(&app, "5037").await, 2);
    assert_eq!(app.audit_count("lease.imported").await, 1);
}

#[tokio::test]
async fn a_windows_1252_comma_file_keeps_the_norwegian_letters() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = free_units(&app, "5037", "let", 1).await.remove(0);
    let text = format!(
        "{}\n\"{}\",{},Bjørn Ødegård-Åsen,,01.02.1975,,{},,\"6 900,50\",,,,,,,,,,\n",
        HEADER.replace(';', ","),
        unit.0,
        unit.1,
        app.day(-800),
    );
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "æøå as Windows-1252 bytes"
    );
    let preview = upload(&mut c, bytes.into_owned(), None).await;
    assert!(preview.text.contains("Windows-1252"), "{}", preview.text);
    assert!(preview.text.contains("komma"));
    assert!(preview
        .text_of("#import-rader")
        .contains("Bjørn Ødegård-Åsen"));
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let (name, rent, ends): (String, i64, Option<chrono::NaiveDate>) = {
        let t = app.tenant("5037").await;
        let mut tx = t.tx().await;
        let row = sqlx::query_as(
            "SELECT p.name, l.monthly_rent, l.ends_on FROM leases l JOIN people p ON p.id = l.tenant_id
              WHERE l.dwelling_id = $1",
        )
        .bind(unit.2)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row
    };
    assert_eq!(
        (name.as_str(), rent, ends),
        ("Bjørn Ødegård-Åsen", 690_050, None)
    );
}

#[tokio::test]
async fn every_wrong_line_shows_its_errors_and_nothing_is_imported() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let units = free_units(&app, "5037", "let", 4).await;
    let start = app.day(-100);
    let short_end = (app.today() + chrono::Duration::days(300)).format("%d.%m.%Y");
    let line = |u: &(String, String, Uuid), rest: &str| format!("{};{};{rest}", u.0, u.1);
    let file = [
        HEADER.to_string(),
        line(
            &units[0],
            &format!("Ola Nordmann;;01.01.1980;;{start};;8 000;;;;;;;;;;"),
        ),
        // Under three years without a § 11-1 ground and notice.
        line(
            &units[1],
            &format!("Kari Nordmann;;01.01.1980;;{start};{short_end};8 000;;;;;;;;;;"),
        ),
        // A deposit of seven months' rent.
        line(
            &units[2],
            &format!("Per Hegre;;01.01.1980;;{start};;8 000;Garanti;56 000;;NAV;;;;;;"),
        ),
        // A national id whose control digits are wrong.
        line(
            &units[3],
            &format!("Eva Vold;01019012345;;;{start};;8 000;;;;;;;;;;"),
        ),
    ]
    .join("\n");
    let preview = upload(&mut c, file.into_bytes(), None).await;
    assert_eq!(preview.status, StatusCode::OK);
    let summary = preview.text_of("#import-feil");
    assert!(
        summary.contains("Linje 3, kolonne «Grunnlag § 11-1»: Leietiden er kortere enn tre år"),
        "{summary}"
    );
    assert!(
        summary.contains("Linje 3, kolonne «Varsel § 11-1 dato»"),
        "{summary}"
    );
    assert!(
        summary
            .contains("Linje 4, kolonne «Depositum»: Depositum kan være høyst seks måneders leie"),
        "{summary}"
    );
    assert!(
        summary.contains("Linje 5, kolonne «Fødselsnummer»: Nummeret er ikke gyldig"),
        "{summary}"
    );
    assert!(summary.contains("3 feil"), "{summary}");
    assert_eq!(
        preview.count("#linje-2 .ds-tag[data-color=danger]"),
        0,
        "line 2 is fine"
    );
    assert_eq!(
        preview.count("form[action$='/bekreft']"),
        0,
        "no confirm button"
    );
    // Confirming anyway (a forged request) saves nothing.
    let id: Uuid = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT id FROM lease_imports ORDER BY uploaded_at DESC LIMIT 1",
            &[],
        )
        .await;
    let forced = c
        .post(&format!("/leiekontrakter/import/{id}/bekreft"), &[])
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(imported(&app, "5037").await, 0);
    assert_eq!(app.audit_count("lease.imported").await, 0);
    // With the ground and the notice before signing, the short lease is lawful.
    app.tenant("5037")
        .await
        .exec(
            "INSERT INTO short_term_grounds (municipality_id, id, label, notice_text)
             VALUES ($1, $2, 'Prøvebolig', 'Tekst') ON CONFLICT DO NOTHING",
            &[Arg::Municipality, Arg::Id(Uuid::now_v7())],
        )
        .await;
    let file = format!(
        "{HEADER}\n{};{};Kari Nordmann;;01.01.1980;;{start};{short_end};8 000;;;;;Prøvebolig;{};{};;;\n",
        units[1].0,
        units[1].1,
        app.day(-120),
        app.day(-110)
    );
    let preview = upload(&mut c, file.into_bytes(), None).await;
    assert!(
        preview
            .text_of("#import-klar")
            .contains("1 nye leiekontrakter"),
        "{}",
        preview.text
    );
    // A missing column is an error of the whole file.
    let preview = upload(&mut c, b"Bruksenhetsnummer;Farge\nA;B\n".to_vec(), None).await;
    assert!(preview
        .text_of("#import-feil")
        .contains("Kolonnen «Startdato» mangler"));
    let empty = upload(&mut c, Vec::new(), None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_line_overlapping_a_registered_lease_is_refused_and_the_same_start_is_skipped() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let unit = free_units(&app, "5037", "let", 1).await.remove(0);
    // A lease registered in Bosak on the unit, from 400 days ago, open-ended.
    let t = app.tenant("5037").await;
    let person = Uuid::now_v7();
    let lease = Uuid::now_v7();
    let start = app.today() - chrono::Duration::days(400);
    t.exec(
        "INSERT INTO people (municipality_id, id, birth_date, name) VALUES ($1, $2, DATE '1970-01-01', 'Registrert Leietaker')",
        &[Arg::Municipality, Arg::Id(person)],
    )
    .await;
    t.exec(
        "INSERT INTO leases (municipality_id, id, lease_no, dwelling_id, tenant_id, status, starts_on, monthly_rent, signed_on)
         VALUES ($1, $2, 9999, $3, $4, 'active', $5, 800000, $5)",
        &[Arg::Municipality, Arg::Id(lease), Arg::Id(unit.2), Arg::Id(person), Arg::Date(start)],
    )
    .await;
    t.exec(
        "INSERT INTO lease_rent_changes (municipality_id, id, lease_id, effective_on, set_on, monthly_rent, reason)
         VALUES ($1, $2, $3, $4, $4, 800000, 'initial')",
        &[Arg::Municipality, Arg::Id(Uuid::now_v7()), Arg::Id(lease), Arg::Date(start)],
    )
    .await;
    let file = format!(
        "{HEADER}\n\
         {u0};{u1};Ny Leietaker;;01.01.1980;;{};;8 000;;;;;;;;;;\n\
         {u0};{u1};Registrert Leietaker;;01.01.1970;;{};;8 000;;;;;;;;;;\n",
        app.day(-30),
        start.format("%d.%m.%Y"),
        u0 = unit.0,
        u1 = unit.1,
    );
    let preview = upload(&mut c, file.into_bytes(), None).await;
    let summary = preview.text_of("#import-feil");
    assert!(
        summary.contains(
            "Linje 2, kolonne «Startdato»: Leieforholdet overlapper med leiekontrakt nr. 9999"
        ),
        "{summary}"
    );
    assert!(
        preview.text_of("#linje-3").contains("Finnes allerede"),
        "{}",
        preview.text
    );
    // Two lines of the file on the same unit at once are refused too.
    let other = free_units(&app, "5037", "let", 1).await.remove(0);
    let file = format!(
        "{HEADER}\n\
         {u0};{u1};En;;01.01.1980;;{};;8 000;;;;;;;;;;\n\
         {u0};{u1};To;;01.01.1980;;{};;8 000;;;;;;;;;;\n",
        app.day(-300),
        app.day(-30),
        u0 = other.0,
        u1 = other.1,
    );
    let preview = upload(&mut c, file.into_bytes(), None).await;
    assert!(
        preview
            .text_of("#import-feil")
            .contains("overlapper med leieforholdet på linje 2"),
        "{}",
        preview.text
    );
    assert_eq!(imported(&app, "5037").await, 0);
}

#[tokio::test]
async fn only_lease_managers_import_and_another_municipalitys_import_is_not_found() {
    let app = TestApp::spawn().await;
    for user in ["levanger.team", "revisor"] {
        let mut c = app.login(user).await;
        assert_eq!(
            c.get("/leiekontrakter/import").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            c.get("/leiekontrakter/import/mal.csv").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    // An import of Verdal's, looked at from Levanger.
    let verdal = app.tenant("5038").await;
    let id = Uuid::now_v7();
    verdal
        .exec(
            "INSERT INTO lease_imports (municipality_id, id, filename, content)
             VALUES ($1, $2, 'leiekontrakter.csv', convert_to($3, 'UTF8'))",
            &[
                Arg::Municipality,
                Arg::Id(id),
                Arg::Text(format!("{HEADER}\n")),
            ],
        )
        .await;
    let mut c = app.login("levanger.saksbehandler").await;
    assert_eq!(
        c.get(&format!("/leiekontrakter/import/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.post(&format!("/leiekontrakter/import/{id}/bekreft"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut team = app.login("levanger.team").await;
    team.get("/").await;
    assert_eq!(
        team.post(&format!("/leiekontrakter/import/{id}/bekreft"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The shared office chooses the municipality; the preview is Verdal's.
    let mut office = app.login("kontor.saksbehandler").await;
    let page = office.get("/leiekontrakter/import").await;
    assert_eq!(page.count("select#municipality option"), 3, "{}", page.text);
    let unit = free_units(&app, "5038", "let", 1).await.remove(0);
    let file = format!(
        "{HEADER}\n{};{};Kari Vold;;01.01.1980;;{};;8 000;;;;;;;;;;\n",
        unit.0,
        unit.1,
        app.day(-10)
    );
    let refused = upload(&mut office, file.clone().into_bytes(), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("Velg hvilken kommune"));
    let preview = upload(&mut office, file.into_bytes(), Some("5038")).await;
    assert!(preview.text.contains("Verdal kommune"), "{}", preview.text);
    assert!(
        preview
            .text_of("#import-klar")
            .contains("1 nye leiekontrakter"),
        "{}",
        preview.text
    );
    let done = office.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(imported(&app, "5038").await, 1);
    assert_eq!(imported(&app, "5037").await, 0);
    // Levanger's caseworker cannot see Verdal's import.
    let path = done.location.unwrap();
    let path = path.split('?').next().unwrap();
    assert_eq!(c.get(path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_confirms_of_overlapping_leases_import_one_and_refuse_the_other() {
    let app = TestApp::spawn().await;
    let unit = free_units(&app, "5037", "let", 1).await.remove(0);
    let line = |name: &str, start: String| {
        format!(
            "{HEADER}\n{};{};{name};;01.01.1980;;{start};;8 000;;;;;;;;;;\n",
            unit.0, unit.1
        )
    };
    let mut a = app.login("levanger.saksbehandler").await;
    let mut b = app.login("levanger.saksbehandler").await;
    let pa = upload(&mut a, line("Først", app.day(-60)).into_bytes(), None).await;
    let pb = upload(&mut b, line("Sist", app.day(-30)).into_bytes(), None).await;
    let (ca, cb) = (confirm_path(&pa), confirm_path(&pb));
    let (ra, rb) = tokio::join!(a.post(&ca, &[]), b.post(&cb, &[]));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY],
        "{} / {}",
        ra.text,
        rb.text
    );
    let refused = if ra.status == StatusCode::UNPROCESSABLE_ENTITY {
        &ra
    } else {
        &rb
    };
    assert!(refused.text.contains("overlapper"), "{}", refused.text);
    let on_unit: i64 = app
        .tenant("5037")
        .await
        .scalar(
            "SELECT count(*) FROM leases WHERE dwelling_id = $1",
            &[Arg::Id(unit.2)],
        )
        .await;
    assert_eq!(on_unit, 1, "the database keeps one lease on the unit");
    assert_eq!(app.audit_count("lease.imported").await, 1);
}

#[tokio::test]
async fn units_follow_their_imported_leases_and_a_status_that_cannot_follow_is_refused() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let let_unit = free_units(&app, "5037", "let", 1).await.remove(0);
    let maintenance = free_units(&app, "5037", "maintenance", 1).await.remove(0);
    // An ended tenancy on a let unit with no other lease: the unit is vacant from its end.
    let ended = app.today() - chrono::Duration::days(15);
    let file = format!(
        "{HEADER}\n\
         {};{};Avsluttet Leietaker;;01.01.1960;;{};;8 000;;;;;;;;avsluttet;{};død\n\
         {};{};Ny Leietaker;;01.01.1980;;{};;8 000;;;;;;;;;;\n",
        let_unit.0,
        let_unit.1,
        app.day(-2000),
        ended.format("%d.%m.%Y"),
        maintenance.0,
        maintenance.1,
        app.day(-10),
    );
    let preview = upload(&mut c, file.into_bytes(), None).await;
    let summary = preview.text_of("#import-feil");
    assert!(
        summary.contains("Linje 3, kolonne «Bruksenhetsnummer»: En bolig med status «Under vedlikehold» kan ikke få status «Utleid»"),
        "{summary}"
    );
    assert_eq!(preview.count("#linje-2 .ds-tag[data-color=danger]"), 0);
    let file = format!(
        "{HEADER}\n{};{};Avsluttet Leietaker;;01.01.1960;;{};;8 000;;;;;;;;avsluttet;{};død\n",
        let_unit.0,
        let_unit.1,
        app.day(-2000),
        ended.format("%d.%m.%Y"),
    );
    let preview = upload(&mut c, file.into_bytes(), None).await;
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let t = app.tenant("5037").await;
    let (status, since): (String, chrono::NaiveDate) = {
        let mut tx = t.tx().await;
        let row = sqlx::query_as("SELECT status::text, status_since FROM dwellings WHERE id = $1")
            .bind(let_unit.2)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        row
    };
    assert_eq!((status.as_str(), since), ("vacant", ended));
    let reason: String = t
        .scalar(
            "SELECT l.status::text || ' ' || l.end_reason FROM leases l WHERE l.dwelling_id = $1",
            &[Arg::Id(let_unit.2)],
        )
        .await;
    assert_eq!(reason, "ended died");
}
