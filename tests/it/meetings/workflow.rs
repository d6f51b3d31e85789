use reqwest::StatusCode;
use uuid::Uuid;

use super::{add, conclude, exec_in, item_ids, plan, ready_case, value, version};
use crate::allocation::{form_fields, prepared_unit};
use crate::common::TestApp;

#[tokio::test]
async fn planning_checks_the_form_keeps_input_and_saves_nothing_half() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let mut c = app.login("levanger.team").await;
    let form = c.get("/moter/ny").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.attr("#title", "value").as_deref(),
        Some("Tildelingsmøte")
    );
    let before: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;

    let l = lev.to_string();
    let bad = c
        .post(
            "/moter",
            &[
                ("title", "Boligutvalget"),
                ("date", "31.02.2026"),
                ("time", "25:00"),
                ("place", "Rådhuset"),
                ("municipality", &l),
                ("external", ", NAV"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#date-err").contains("dd.mm.åååå"));
    assert!(bad.text_of("#time-err").contains("tt:mm"));
    assert!(bad.text_of("#external-err").contains("mangler navn"));
    assert_eq!(
        bad.attr("#title", "value").as_deref(),
        Some("Boligutvalget"),
        "input kept"
    );
    assert_eq!(bad.attr("#place", "value").as_deref(), Some("Rådhuset"));
    let after: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;
    assert_eq!(before, after, "nothing saved");

    let team = app.user_id("levanger.team").await.to_string();
    let id = plan(
        &mut c,
        &[lev],
        &app.day(10),
        &[
            ("user", &team),
            (
                "external",
                "Line Berg, NAV Levanger\nAli Hassan, Flyktningtjenesten",
            ),
        ],
    )
    .await;
    let page = c.get(&format!("/moter/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let facts = page.text_of(".bosak-facts");
    let expected = format!(
        "{} {} kl. 09.00",
        crate::common::weekday_nb(app.today() + chrono::Duration::days(10)),
        app.day(10)
    );
    assert!(facts.contains(&expected), "{facts}");
    assert!(page
        .text_of("#participants")
        .contains("Line Berg (NAV Levanger)"));
    assert!(page.text_of("#participants").contains("Sigrid Skogn"));
    assert!(app.audit_count("meeting.created").await >= 1);
    let list = c.get("/moter").await;
    assert!(list.text_of("#upcoming").contains(&app.day(10)));

    // Moving the meeting: a stale version is refused, nothing overwritten.
    let edit = c.get(&format!("/moter/{id}/endre")).await;
    let mut f = form_fields(&edit, "form.bosak-form");
    f.insert("time".into(), "13:00".into());
    let fields: Vec<(&str, &str)> = f
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let ok = c.post(&format!("/moter/{id}/endre"), &fields).await;
    assert_eq!(
        ok.status,
        StatusCode::SEE_OTHER,
        "{}",
        ok.text_of(".ds-error-summary")
    );
    let stale = c.post(&format!("/moter/{id}/endre"), &fields).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale
        .text_of(".ds-error-summary")
        .contains("endret av noen andre"));
    assert!(c
        .get(&format!("/moter/{id}"))
        .await
        .text_of(".bosak-facts")
        .contains("kl. 13.00"));
}

#[tokio::test]
async fn the_agenda_proposes_ready_cases_units_and_appeals_and_says_why() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, case_no) = ready_case(&app, "5037").await;
    let unit = prepared_unit(&app).await;
    // A registered appeal against a sent decision.
    let appeal = Uuid::now_v7();
    let team = app.user_id("levanger.team").await;
    let received = app.today() - chrono::Duration::days(5);
    exec_in(
        &app,
        "5037",
        &format!(
            "INSERT INTO appeals (municipality_id, id, decision_id, received_on, received_how, appellant, summary, registered_by)
             SELECT $1, $2, id, DATE '{received}', 'Brev', 'Søkeren selv', 'Mener behovet er større', '{team}'
               FROM decisions WHERE municipality_id = $1 AND status = 'sent' ORDER BY id LIMIT 1"
        ),
        Some(appeal),
    )
    .await;
    // A case still being assessed must not be proposed.
    let assessing: String = value(
        &app,
        "5037",
        "SELECT case_number FROM applications WHERE municipality_id = $1 AND status = 'under_assessment' ORDER BY case_number LIMIT 1",
    )
    .await;

    let mut c = app.login("levanger.team").await;
    let id = plan(&mut c, &[lev], &app.day(10), &[]).await;
    let page = c.get(&format!("/moter/{id}")).await;
    let cases = page.text_of("#proposed-cases");
    assert!(cases.contains(&case_no), "{cases}");
    assert!(cases.contains("Klar for møte"));
    assert!(
        !cases.contains(&assessing),
        "cases under assessment are not proposed"
    );
    // The demo meeting next week already has the demo's ready cases: they are marked.
    assert!(cases.contains("Står allerede på sakslisten"), "{cases}");
    let units = page.text_of("#proposed-units");
    assert!(units.contains("Ledig nå"), "{units}");
    assert!(page.text_of("#proposed-appeals").contains("Søkeren selv"));

    let res = add(
        &mut c,
        id,
        &[
            ("pick", &format!("application:{case_id}")),
            ("pick", &format!("dwelling:{unit}")),
            ("pick", &format!("appeal:{appeal}")),
            ("other_title", "Eventuelt"),
        ],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = c.get(&format!("/moter/{id}")).await;
    let agenda = page.texts("#agenda > li");
    assert_eq!(agenda.len(), 4, "{agenda:?}");
    assert!(agenda[0].contains(&case_no) && agenda[0].contains("Klar for møte"));
    assert!(agenda[1].contains("Tildeling av") && agenda[1].contains("Ledig nå"));
    assert!(agenda[2].contains("Klage i sak"));
    assert!(agenda[3].contains("Eventuelt"));
    // In meeting mode the appeal shows what it is about, the appellant by initials.
    let mode = c.get(&format!("/moter/{id}/motemodus?punkt=3")).await;
    let facts = mode.text_of("#facts");
    assert!(
        facts.contains("Mener behovet er større") && facts.contains("Klagen gjelder"),
        "{facts}"
    );
    assert!(
        facts.contains("S. S.") && !facts.contains("Søkeren selv"),
        "{facts}"
    );
    // What is on the agenda is no longer proposed.
    assert!(!page.text_of("#add-items").contains(&case_no));
    // The case's timeline points at the item.
    let items = item_ids(&page);
    let case = c.get(&format!("/soknader/{case_id}")).await;
    assert!(
        case.text
            .contains(&format!("/moter/{id}#punkt-{}", items[0])),
        "timeline links the item"
    );

    // An unknown case number is refused next to the field, nothing added.
    let bad = add(&mut c, id, &[("case_number", "1999-9999")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#case_number-err").contains("1999-9999"));
    assert_eq!(
        bad.attr("#case_number", "value").as_deref(),
        Some("1999-9999")
    );

    // Reorder: the last item moves up one place.
    let v = version(&page);
    let res = c
        .post(
            &format!("/moter/{id}/punkter/{}/flytt", items[3]),
            &[("direction", "opp"), ("version", &v)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/moter/{id}")).await;
    let order = item_ids(&page);
    assert_eq!(order, vec![items[0], items[1], items[3], items[2]]);
    assert!(page.texts("#agenda > li")[2].contains("Sak 3"));
    // A stale reorder (old version) is refused.
    let stale = c
        .post(
            &format!("/moter/{id}/punkter/{}/flytt", items[0]),
            &[("direction", "ned"), ("version", &v)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // Remove an item: gone, numbers close up, the case's timeline says so.
    let v = version(&page);
    let res = c
        .post(
            &format!("/moter/{id}/punkter/{}/fjern", items[0]),
            &[("version", &v)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/moter/{id}")).await;
    assert_eq!(item_ids(&page).len(), 3);
    assert!(page.texts("#agenda > li")[0].contains("Sak 1"));
    assert!(
        page.text_of("#proposed-cases").contains(&case_no),
        "proposed again"
    );
    assert!(app.audit_count("meeting.item_removed").await >= 1);
}

#[tokio::test]
async fn conclusions_reach_the_case_and_a_chosen_candidate_gets_an_offer_in_one_click() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, case_no) = ready_case(&app, "5037").await;
    let unit = prepared_unit(&app).await;
    let mut c = app.login("levanger.team").await;
    let id = plan(&mut c, &[lev], &app.day(10), &[]).await;
    let res = add(
        &mut c,
        id,
        &[
            ("pick", &format!("application:{case_id}")),
            ("pick", &format!("dwelling:{unit}")),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let name: String = value(
        &app,
        "5037",
        &format!("SELECT p.name FROM applications a JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id WHERE a.municipality_id = $1 AND a.id = '{case_id}'"),
    )
    .await;

    // Meeting mode opens with the privacy switch on: initials, no identity number.
    let mode = c.get(&format!("/moter/{id}/motemodus")).await;
    assert_eq!(mode.status, StatusCode::OK);
    let title = mode.text_of(".bosak-mode__title");
    assert!(
        title.contains(&case_no) && !title.contains(&name),
        "{title}"
    );
    assert_eq!(mode.text_of("#identity"), "Skjult");
    assert!(
        !mode.text.contains(&name),
        "the name is nowhere on the projected page"
    );
    assert!(mode.text_of("#facts").contains("Situasjon"));
    let shown = c
        .get(&format!("/moter/{id}/motemodus?punkt=1&personvern=0"))
        .await;
    assert!(shown.text_of(".bosak-mode__title").contains(&name));
    // Names written in free text are masked too while projecting.
    exec_in(
        &app,
        "5037",
        &format!("UPDATE applications SET situation_notes = '{name} bor midlertidig hos en venn.' WHERE municipality_id = $1 AND id = $2"),
        Some(case_id),
    )
    .await;
    let masked = c.get(&format!("/moter/{id}/motemodus?punkt=1")).await;
    let facts = masked.text_of("#facts");
    assert!(
        facts.contains("bor midlertidig hos en venn") && !facts.contains(&name),
        "{facts}"
    );
    let shown = c
        .get(&format!("/moter/{id}/motemodus?punkt=1&personvern=0"))
        .await;
    assert!(shown
        .text_of("#facts")
        .contains(&format!("{name} bor midlertidig")));

    // Postponing needs a reason; nothing is saved without one.
    let res = conclude(&mut c, id, 1, &[("conclusion", "postponed"), ("text", "")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#text-err").contains("utsettes"));
    let concluded: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meeting_items WHERE municipality_id = $1 AND conclusion IS NOT NULL",
    )
    .await;
    assert_eq!(concluded, 0);

    // A recommendation: back on the same item, on the case, in its timeline.
    let res = conclude(
        &mut c,
        id,
        1,
        &[
            ("conclusion", "recommend_grant"),
            ("text", "Teamet er enig i vurderingen."),
        ],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let loc = res.location.unwrap();
    assert!(
        loc.contains(&format!(
            "sak={}",
            item_ids(&c.get(&format!("/moter/{id}")).await)[0]
        )) && loc.contains("personvern=1"),
        "{loc}"
    );
    let back = c.get(&loc).await;
    assert!(back.text_of("#saved").contains("sak 1"));
    assert!(back
        .text_of("#current-conclusion")
        .contains("Anbefales innvilget"));
    let case = c.get(&format!("/soknader/{case_id}")).await;
    let rec = case.text_of("#meeting-recommendation");
    assert!(
        rec.contains("Anbefales innvilget") && rec.contains("Teamet er enig"),
        "{rec}"
    );
    assert!(case
        .attr("#meeting-recommendation a", "href")
        .unwrap()
        .starts_with(&format!("/moter/{id}#punkt-")));
    // …and where the caseworker writes the decision.
    let mut cw = app.login("levanger.saksbehandler").await;
    cw.get(&format!("/soknader/{case_id}")).await;
    let draft = cw.post(&format!("/soknader/{case_id}/vedtak"), &[]).await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER);
    let decision = cw.get(&draft.location.unwrap()).await;
    assert!(decision
        .text_of("#meeting-recommendation")
        .contains("Anbefales innvilget"));

    // The unit: the ranked candidates with their points; skipping the top needs a reason.
    let mode = c.get(&format!("/moter/{id}/motemodus?punkt=2")).await;
    assert!(
        mode.text_of("#candidates").contains("Ventetid"),
        "score breakdown shown"
    );
    let html = mode.html();
    let sel = scraper::Selector::parse("#candidates tbody tr[data-application]").unwrap();
    let ranked: Vec<String> = html
        .select(&sel)
        .map(|e| e.value().attr("data-application").unwrap().to_string())
        .collect();
    assert!(ranked.len() >= 2);
    let res = conclude(
        &mut c,
        id,
        2,
        &[("conclusion", "candidate_chosen"), ("chosen", &ranked[1])],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#justification-err").contains("nummer 2"));
    let res = conclude(
        &mut c,
        id,
        2,
        &[
            ("conclusion", "candidate_chosen"),
            ("chosen", &ranked[1]),
            (
                "justification",
                "Nr. 1 har takket nei til en lik bolig i oktober.",
            ),
        ],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let chosen = Uuid::parse_str(&ranked[1]).unwrap();
    let chosen_case = c.get(&format!("/soknader/{chosen}")).await;
    assert!(chosen_case
        .text_of("#meeting-recommendation")
        .contains("Tildeles kandidat"));

    // One click on the meeting page makes the offer.
    let page = c.get(&format!("/moter/{id}")).await;
    let f = form_fields(&page, &format!("form[action='/boliger/{unit}/tilbud']"));
    assert_eq!(f.get("application_id"), Some(&ranked[1]));
    let fields: Vec<(&str, &str)> = f
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = c.post(&format!("/boliger/{unit}/tilbud"), &fields).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    assert!(res.location.unwrap().starts_with("/tilbud/"));
    let offered: String = value(&app, "5037", &format!("SELECT application_id::text FROM offers WHERE municipality_id = $1 AND dwelling_id = '{unit}' AND status = 'open'")).await;
    assert_eq!(offered, ranked[1]);
    let page = c.get(&format!("/moter/{id}")).await;
    assert!(page.text_of("#agenda").contains("Tilbud sendt"));
    assert_eq!(
        page.count(&format!("form[action='/boliger/{unit}/tilbud']")),
        0,
        "no second offer button"
    );
    assert!(app.audit_count("meeting.conclusion_recorded").await >= 2);
}

#[tokio::test]
async fn past_meetings_page_with_a_cursor_that_survives_the_url() {
    let app = TestApp::spawn().await;
    let team = app.user_id("levanger.team").await;
    // 27 past meetings, one a day.
    let now = app.state.clock().now().to_rfc3339();
    exec_in(
        &app,
        "5037",
        &format!(
            "INSERT INTO meetings (municipality_id, id, covers, title, starts_at, created_by)
             SELECT $1, gen_random_uuid(), ARRAY[$1], 'Møte ' || n, '{now}'::timestamptz - n * interval '1 day' - interval '1 hour', '{team}'
               FROM generate_series(1, 27) n"
        ),
        None,
    )
    .await;
    let mut c = app.login("levanger.team").await;
    let first = c.get("/moter").await;
    let page1 = first.texts("#past tbody tr");
    assert_eq!(page1.len(), 25);
    let next = first
        .attr("a[rel=next]", "href")
        .expect("a link to older meetings");
    let second = c.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    let page2 = second.texts("#past tbody tr");
    assert_eq!(page2.len(), 2, "{page2:?}");
    assert!(page2.iter().all(|r| !page1.contains(r)), "no meeting twice");
    assert!(page2[1].contains("Møte 27"));
}

/// Hostile or broken input to every meeting form: never a 500, never a change half made.
#[tokio::test]
async fn hostile_input_to_meeting_forms_is_refused_cleanly() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, _) = ready_case(&app, "5037").await;
    let mut c = app.login("levanger.team").await;
    let id = plan(&mut c, &[lev], &app.day(10), &[]).await;
    add(&mut c, id, &[("pick", &format!("application:{case_id}"))]).await;
    let item = item_ids(&c.get(&format!("/moter/{id}")).await)[0];
    let long = "x".repeat(100_000);
    let payloads: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![
            ("version", "not a number"),
            ("date", "99.99.9999"),
            ("time", "-1:99"),
        ],
        vec![
            ("version", "99999999999999999999"),
            ("municipality", "zzz"),
            ("user", "'; DROP TABLE meetings; --"),
        ],
        vec![
            ("title", &long),
            ("place", &long),
            ("external", &long),
            ("notes", &long),
            ("text", &long),
        ],
        vec![
            ("pick", "application:not-a-uuid"),
            ("pick", "dwelling:"),
            ("pick", ":::"),
            ("case_number", "%00"),
        ],
        vec![
            ("conclusion", "candidate_chosen"),
            ("chosen", "00000000-0000-0000-0000-000000000000"),
            ("version", "1"),
        ],
        vec![
            ("conclusion", "\u{0}"),
            ("direction", "sideways"),
            ("attended", "-1"),
            ("attended", "999999999999"),
        ],
        vec![
            ("stamp", "🙂"),
            ("cancel_reason", "   "),
            ("other_title", "\r\n\r\n"),
        ],
    ];
    let paths = [
        "/moter".to_string(),
        format!("/moter/{id}/endre"),
        format!("/moter/{id}/saksliste"),
        format!("/moter/{id}/send-saksliste"),
        format!("/moter/{id}/punkter/{item}/flytt"),
        format!("/moter/{id}/punkter/{item}/konklusjon"),
        format!("/moter/{id}/protokoll"),
        format!("/moter/{id}/protokoll/godkjenn"),
        format!("/moter/{id}/avlys"),
        format!("/moter/{id}/punkter/{item}/fjern"),
        format!("/moter/{id}/punkter/not-a-uuid/konklusjon"),
    ];
    let meetings_before: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;
    for path in &paths {
        for p in &payloads {
            let res = c.post(path, p).await;
            assert!(
                res.status.is_client_error(),
                "POST {path} with {:?}: {}",
                p.iter()
                    .map(|(k, v)| (k, v.chars().take(20).collect::<String>()))
                    .collect::<Vec<_>>(),
                res.status
            );
        }
    }
    for q in [
        "?punkt=-1",
        "?punkt=99999999999",
        "?sak=x&personvern=%00",
        "?etter=garbage",
    ] {
        assert!(c
            .get(&format!("/moter/{id}/motemodus{q}"))
            .await
            .status
            .is_success());
        assert!(c.get(&format!("/moter{q}")).await.status.is_success());
    }
    let meetings_after: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;
    assert_eq!(meetings_before, meetings_after, "nothing created");
    let page = c.get(&format!("/moter/{id}")).await;
    assert_eq!(item_ids(&page), vec![item], "the agenda is as it was");
    assert!(page.text_of("#agenda").contains("Ingen konklusjon ennå"));
}

/// Double clicks: planning the same meeting twice lands on the first; recording the same
/// conclusion twice changes nothing and says it is saved.
#[tokio::test]
async fn double_submits_plan_one_meeting_and_record_one_conclusion() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let (case_id, _) = ready_case(&app, "5037").await;
    let mut c = app.login("levanger.team").await;
    let before: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;
    let first = plan(&mut c, &[lev], &app.day(11), &[]).await;
    let second = plan(&mut c, &[lev], &app.day(11), &[]).await;
    assert_eq!(first, second);
    let after: i64 = value(
        &app,
        "5037",
        "SELECT count(*) FROM meetings WHERE municipality_id = $1",
    )
    .await;
    assert_eq!(after, before + 1);

    add(
        &mut c,
        first,
        &[("pick", &format!("application:{case_id}"))],
    )
    .await;
    let page = c.get(&format!("/moter/{first}/motemodus?punkt=1")).await;
    let action = page.attr("#conclusion-form", "action").unwrap();
    let v = page
        .attr("#conclusion-form input[name=version]", "value")
        .unwrap();
    let fields = [
        ("version", v.as_str()),
        ("personvern", "1"),
        ("conclusion", "recommend_grant"),
        ("text", "Enig."),
    ];
    assert_eq!(c.post(&action, &fields).await.status, StatusCode::SEE_OTHER);
    let again = c.post(&action, &fields).await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "the same conclusion again is harmless"
    );
    let events: i64 = value(
        &app,
        "5037",
        &format!("SELECT count(*) FROM application_events WHERE municipality_id = $1 AND application_id = '{case_id}' AND kind = 'meeting_conclusion'"),
    )
    .await;
    assert_eq!(events, 1, "one timeline entry");
    // A different conclusion on the old version is a real conflict.
    let other = [
        ("version", v.as_str()),
        ("personvern", "1"),
        ("conclusion", "recommend_refuse"),
        ("text", ""),
    ];
    assert_eq!(c.post(&action, &other).await.status, StatusCode::CONFLICT);
}
