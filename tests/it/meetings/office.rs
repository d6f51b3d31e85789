use reqwest::StatusCode;

use super::{add, conclude, item_ids, plan, ready_case};
use crate::common::TestApp;

/// A meeting of the shared office covering Levanger and Verdal: everyone sees only the
/// items of the municipalities they work for; only someone in both organises it.
#[tokio::test]
async fn an_office_meeting_shows_each_item_only_to_those_who_may_see_it() {
    let app = TestApp::spawn().await;
    let lev = app.municipality_id("5037").await;
    let ver = app.municipality_id("5038").await;
    let (lev_case, lev_no) = ready_case(&app, "5037").await;
    let (ver_case, ver_no) = ready_case(&app, "5038").await;
    let name_sql = |id: uuid::Uuid| {
        format!("SELECT p.name FROM applications a JOIN people p ON p.municipality_id = a.municipality_id AND p.id = a.applicant_id WHERE a.municipality_id = $1 AND a.id = '{id}'")
    };
    let lev_name: String = super::value(&app, "5037", &name_sql(lev_case)).await;
    let ver_name: String = super::value(&app, "5038", &name_sql(ver_case)).await;
    assert_ne!(lev_name, ver_name);

    let mut office = app.login("kontor.saksbehandler").await;
    // The office cannot plan for a municipality it does not serve.
    let stj = app.municipality_id("5035").await.to_string();
    let res = office
        .post(
            "/moter",
            &[
                ("title", "Møte"),
                ("date", &app.day(10)),
                ("time", "09:00"),
                ("municipality", &stj),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#municipality-err").contains("tilgang"));

    let id = plan(&mut office, &[lev, ver], &app.day(10), &[]).await;
    // Both municipalities number their cases the same way: the number alone is ambiguous.
    assert_eq!(lev_no, ver_no, "demo data numbers both from 2026/0001");
    let res = add(&mut office, id, &[("case_number", &lev_no)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text_of("#other_municipality-err")
        .contains("flere kommuner"));
    let l = lev.to_string();
    let res = add(
        &mut office,
        id,
        &[("case_number", &lev_no), ("other_municipality", &l)],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let v = ver.to_string();
    let res = add(
        &mut office,
        id,
        &[("case_number", &ver_no), ("other_municipality", &v)],
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let page = office.get(&format!("/moter/{id}")).await;
    let agenda = page.texts("#agenda > li");
    assert_eq!(agenda.len(), 2, "{agenda:?}");
    assert!(
        agenda[0].contains("Levanger") && agenda[0].contains(&lev_no),
        "{agenda:?}"
    );
    assert!(
        agenda[1].contains("Verdal") && agenda[1].contains(&ver_no),
        "{agenda:?}"
    );
    // The same case again is refused.
    let res = add(
        &mut office,
        id,
        &[("case_number", &lev_no), ("other_municipality", &l)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text_of("#case_number-err").contains("allerede"));
    let items = item_ids(&page);

    // Levanger's caseworker: the meeting and Levanger's item only.
    let mut l = app.login("levanger.saksbehandler").await;
    let page = l.get(&format!("/moter/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let agenda = page.text_of("#agenda");
    assert!(
        agenda.contains(&lev_name) && !agenda.contains(&ver_name),
        "{agenda}"
    );
    assert_eq!(page.count("#agenda > li"), 1);
    assert!(page.text.contains("kommuner du ikke har tilgang til"));
    let mode = l.get(&format!("/moter/{id}/motemodus?personvern=0")).await;
    assert!(mode.text.contains(&lev_name) && !mode.text.contains(&ver_name));
    assert_eq!(mode.count("#agenda-nav li"), 1);
    assert_eq!(
        l.get(&format!("/moter/{id}/protokoll"))
            .await
            .count("#minutes h3"),
        1
    );
    assert_eq!(
        l.get(&format!("/moter/{id}/saksliste/utskrift"))
            .await
            .count("main li"),
        1,
        "no participants, one item"
    );
    assert!(l
        .get(&format!("/moter/{id}/protokoll/utskrift"))
        .await
        .text_of("main")
        .contains("Utdrag: bare sakene fra Levanger"));
    assert!(l
        .get("/moter")
        .await
        .text_of("#upcoming")
        .contains(&app.day(10)));
    // …may record the conclusion on Levanger's item, but not organise the meeting.
    assert_eq!(
        l.get(&format!("/moter/{id}/endre")).await.status,
        StatusCode::FORBIDDEN
    );
    let res = l
        .post(
            &format!("/moter/{id}/saksliste"),
            &[("version", "1"), ("other_title", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = conclude(&mut l, id, 1, &[("conclusion", "recommend_grant")]).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text_of(".ds-error-summary")
    );
    let case = l.get(&format!("/soknader/{lev_case}")).await;
    assert!(case
        .text_of("#meeting-recommendation")
        .contains("Anbefales innvilget"));

    // Verdal's caseworker sees Verdal's item only and cannot touch Levanger's.
    let mut v = app.login("verdal.saksbehandler").await;
    let agenda = v.get(&format!("/moter/{id}")).await.text_of("#agenda");
    assert!(
        agenda.contains(&ver_name) && !agenda.contains(&lev_name),
        "{agenda}"
    );
    let res = v
        .post(
            &format!("/moter/{id}/punkter/{}/konklusjon", items[0]),
            &[("version", "2"), ("conclusion", "recommend_refuse")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Stjørdal sees nothing.
    let mut s = app.login("stjordal.saksbehandler").await;
    assert_eq!(
        s.get(&format!("/moter/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&format!("/moter/{id}/protokoll.pdf")).await.status,
        StatusCode::NOT_FOUND
    );
    // The auditor reads no case contents, and a meeting's agenda names applicants
    // (auth::policy): refused like a case page.
    let mut a = app.login("revisor").await;
    for path in [
        format!("/moter/{id}"),
        format!("/moter/{id}/motemodus?punkt=2"),
        format!("/moter/{id}/protokoll"),
        "/moter".to_string(),
    ] {
        let status = a.get(&path).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    let res = a
        .post(
            &format!("/moter/{id}/punkter/{}/konklusjon", items[1]),
            &[("version", "1"), ("conclusion", "recommend_refuse")],
        )
        .await;
    assert!(matches!(
        res.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(a.get("/moter/ny").await.status, StatusCode::FORBIDDEN);

    // The office's minutes show both; Levanger's conclusion is recorded in both views.
    let minutes = office.get(&format!("/moter/{id}/protokoll")).await;
    assert_eq!(minutes.count("#minutes h3"), 2);
    assert!(minutes.text_of("#minutes").contains("Anbefales innvilget"));
}
