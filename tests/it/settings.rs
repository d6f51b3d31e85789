use reqwest::StatusCode;

use crate::common::TestApp;

async fn letterhead(app: &TestApp, number: &str) -> (String, bool, i32) {
    let mut tx = app.owner.begin().await.unwrap();
    let id = app.municipality_id(number).await;
    bosak::seed::with_tenant(&mut tx, id).await.unwrap();
    let row: (String, bool, i32) = sqlx::query_as(
        "SELECT letterhead_name, decisions_need_second_approver, version FROM municipality_settings WHERE municipality_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    row
}

#[tokio::test]
async fn admin_edits_settings_with_validation_and_audit() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    let page = c.get("/innstillinger").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#letterhead_name", "value").as_deref(),
        Some("Levanger kommune")
    );
    let bad = c
        .post(
            "/innstillinger",
            &[
                ("letterhead_name", ""),
                ("postcode", "12"),
                ("email", "nei"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#letterhead_name-err").contains("må fylles ut"));
    assert!(bad.text_of("#postcode-err").contains("fire siffer"));
    assert_eq!(
        bad.attr("#postcode", "value").as_deref(),
        Some("12"),
        "input kept"
    );
    assert_eq!(
        letterhead(&app, "5037").await.0,
        "Levanger kommune",
        "nothing saved"
    );

    let ok = c
        .post(
            "/innstillinger",
            &[
                ("letterhead_name", "Levanger kommune, Boligkontoret"),
                ("street_address", "Postboks 130"),
                ("postcode", "7601"),
                ("postal_place", "Levanger"),
                ("decisions_need_second_approver", "1"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let (name, four_eyes, version) = letterhead(&app, "5037").await;
    assert_eq!(name, "Levanger kommune, Boligkontoret");
    assert!(four_eyes);
    assert_eq!(version, 2);
    assert_eq!(app.audit_count("municipality.settings_updated").await, 1);
}

#[tokio::test]
async fn stale_settings_edit_keeps_input_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let mut a = app.login("levanger.admin").await;
    a.get("/innstillinger").await;
    let first = a
        .post(
            "/innstillinger",
            &[("letterhead_name", "Først"), ("version", "1")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let stale = a
        .post(
            "/innstillinger",
            &[("letterhead_name", "Min versjon"), ("version", "1")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale
        .text_of(".ds-error-summary")
        .contains("endret av noen andre"));
    assert_eq!(
        stale.attr("#letterhead_name", "value").as_deref(),
        Some("Min versjon")
    );
    assert_eq!(letterhead(&app, "5037").await.0, "Først");
}

#[tokio::test]
async fn areas_are_added_once_and_removed() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    c.get("/innstillinger").await;
    let res = c
        .post("/innstillinger/omrader", &[("area_name", "Markabygda")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let dup = c
        .post("/innstillinger/omrader", &[("area_name", "markabygda")])
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text_of("#area_name-err").contains("finnes allerede"));
    let empty = c
        .post("/innstillinger/omrader", &[("area_name", "   ")])
        .await;
    assert!(empty.text_of("#area_name-err").contains("må fylles ut"));
    let page = c.get("/innstillinger").await;
    assert!(page.text_of(".bosak-area-list").contains("Markabygda"));
    let form_action = page
        .html()
        .select(&scraper::Selector::parse(".bosak-area-list li").unwrap())
        .find(|li| li.text().any(|t| t.contains("Markabygda")))
        .and_then(|li| li.select(&scraper::Selector::parse("form").unwrap()).next())
        .and_then(|f| f.value().attr("action").map(str::to_owned))
        .unwrap();
    assert_eq!(
        c.post(&form_action, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!c
        .get("/innstillinger")
        .await
        .text_of(".bosak-area-list")
        .contains("Markabygda"));
    assert_eq!(app.audit_count("municipality.area_removed").await, 1);
}

#[tokio::test]
async fn only_admins_reach_settings() {
    let app = TestApp::spawn().await;
    for user in [
        "levanger.saksbehandler",
        "levanger.team",
        "revisor",
        "kontor.saksbehandler",
    ] {
        let mut c = app.login(user).await;
        let page = c.get("/innstillinger").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        let post = c
            .post(
                "/innstillinger",
                &[("letterhead_name", "X"), ("version", "1")],
            )
            .await;
        assert!(
            post.status == StatusCode::FORBIDDEN || post.status == StatusCode::NOT_FOUND,
            "{user}: {}",
            post.status
        );
        assert_eq!(page.count("nav a[href='/innstillinger']"), 0);
    }
    assert_eq!(letterhead(&app, "5037").await.0, "Levanger kommune");
}
