//! Properties and units: create, edit, stale edits, status changes, assessments,
//! permissions and tenant isolation.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn caseworker_registers_a_property_and_a_unit_with_validation() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    c.get("/eiendommer/ny").await;
    let bad = c
        .post(
            "/eiendommer/ny",
            &[
                ("name", ""),
                ("street_address", "Moanvegen 12"),
                ("postcode", "76"),
                ("owner_type", "allocation_right"),
                ("owner_name", "Moan borettslag"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#name-err").contains("må fylles ut"));
    assert!(bad.text_of("#postcode-err").contains("fire siffer"));
    assert!(bad
        .text_of("#agreement_ends-err")
        .contains("tildelingsretten"));
    assert_eq!(bad.attr("#postcode", "value").as_deref(), Some("76"));
    assert_eq!(
        bad.attr("#owner_type_allocation_right", "checked")
            .as_deref(),
        Some("")
    );

    let property = create_property(&mut c, "Moan omsorgsboliger").await;
    let page = c.get(&format!("/eiendommer/{property}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text_of("#eiendom-fakta")
        .contains("Moanvegen 12, 7604 Levanger"));
    // Same name again is refused with a message, not a 500.
    let dup = post_owned(
        &mut c,
        "/eiendommer/ny",
        &property_fields("moan omsorgsboliger"),
    )
    .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text_of("#name-err").contains("finnes allerede"));

    let t = type_id(&app, "5037", "Omsorgsbolig").await;
    let form = c.get(&format!("/boliger/ny?eiendom={property}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let mut fields = unit_fields(property, t, "h0101");
    fields[3].1 = "11".into();
    fields[4].1 = "4000".into();
    fields[6].1 = "åtte tusen".into();
    let bad = post_owned(&mut c, "/boliger/ny", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#rooms-err").contains("mellom 1 og 10"));
    assert!(bad.text_of("#area-err").contains("mellom 10 og 400"));
    assert!(bad.text_of("#monthly_rent-err").contains("8 500"));
    assert_eq!(bad.attr("#area", "value").as_deref(), Some("4000"));
    assert_eq!(
        scalar::<i64>(
            &app,
            "5037",
            &format!("SELECT count(*) FROM dwellings WHERE property_id = '{property}'")
        )
        .await,
        0,
        "nothing saved"
    );

    let unit = create_unit(&mut c, property, t, "h0101").await;
    let page = c.get(&format!("/boliger/{unit}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let facts = page.text_of("#bolig-fakta");
    assert!(facts.contains("54,5 m²"), "{facts}");
    assert!(
        facts.contains("8\u{a0}500,00\u{a0}kr") || facts.contains("8 500,00 kr"),
        "{facts}"
    );
    assert!(page.text_of("#status").contains("Ledig"));
    assert!(page
        .text_of("#historikk-tabell")
        .contains("Registrert → Ledig"));
    let (rent, area): (i64, String) = {
        let m = app.municipality_id("5037").await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_as("SELECT monthly_rent, area_m2::text FROM dwellings WHERE id = $1")
            .bind(unit)
            .fetch_one(&mut *tx)
            .await
            .unwrap()
    };
    assert_eq!(rent, 850_000, "rent in øre");
    assert_eq!(area, "54.5");
    // The unit number is unique within the property.
    let dup = post_owned(&mut c, "/boliger/ny", &unit_fields(property, t, "H0101")).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text_of("#unit_number-err").contains("allerede"));
    assert_eq!(app.audit_count("property.created").await, 1);
    assert_eq!(app.audit_count("dwelling.created").await, 1);
    // It is listed and searchable.
    let list = c.get("/boliger?q=Moanvegen").await;
    assert!(list.text_of("table").contains("H0101"));
}

#[tokio::test]
async fn second_editor_gets_a_conflict_and_keeps_what_they_typed() {
    let app = TestApp::spawn().await;
    let mut a = app.login("levanger.saksbehandler").await;
    let mut b = app.login("levanger.admin").await;
    let property = create_property(&mut a, "Konfliktgata 1").await;
    let t = type_id(&app, "5037", "Hybel").await;
    let unit = create_unit(&mut a, property, t, "H0101").await;
    let form_a = a.get(&format!("/boliger/{unit}/rediger")).await;
    let form_b = b.get(&format!("/boliger/{unit}/rediger")).await;
    assert_eq!(
        form_a.attr("input[name=version]", "value").as_deref(),
        Some("1")
    );
    assert_eq!(form_b.attr("#rooms", "value").as_deref(), Some("2"));
    let mut fields = unit_fields(property, t, "H0101");
    fields.push(("version", "1".into()));
    fields[3].1 = "3".into();
    let first = post_owned(&mut a, &format!("/boliger/{unit}/rediger"), &fields).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    fields[3].1 = "4".into();
    fields.push(("notes", "Min merknad".into()));
    let second = post_owned(&mut b, &format!("/boliger/{unit}/rediger"), &fields).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second
        .text_of(".ds-error-summary")
        .contains("endret av noen andre"));
    assert_eq!(second.attr("#rooms", "value").as_deref(), Some("4"));
    assert_eq!(second.text_of("#notes"), "Min merknad");
    assert_eq!(
        second.attr("input[name=version]", "value").as_deref(),
        Some("2")
    );
    assert_eq!(
        scalar::<i16>(
            &app,
            "5037",
            &format!("SELECT rooms FROM dwellings WHERE id = '{unit}'")
        )
        .await,
        3
    );
    assert_eq!(app.audit_count("dwelling.updated").await, 1);

    // The same for properties.
    let mut pf = property_fields("Konfliktgata 1");
    pf.push(("version", "1".into()));
    pf[1].1 = "Konfliktgata 2".into();
    assert_eq!(
        post_owned(&mut a, &format!("/eiendommer/{property}/rediger"), &pf)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    pf[1].1 = "Konfliktgata 3".into();
    let stale = post_owned(&mut b, &format!("/eiendommer/{property}/rediger"), &pf).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        stale.attr("#street_address", "value").as_deref(),
        Some("Konfliktgata 3")
    );
}

#[tokio::test]
async fn status_changes_follow_the_rules_and_are_recorded() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let property = create_property(&mut c, "Statusvegen 3").await;
    let t = type_id(&app, "5037", "Gjennomgangsbolig").await;
    let unit = create_unit(&mut c, property, t, "H0201").await;
    // A date a month back: the form takes past dates within its limit.
    let let_on = app.today() - chrono::Duration::days(30);
    let page = c.get(&format!("/boliger/{unit}/status")).await;
    assert_eq!(
        page.count("input[name=status]"),
        4,
        "vacant → let, reserved, maintenance, to be sold"
    );
    let refused = c
        .post(
            &format!("/boliger/{unit}/status"),
            &[
                ("status", "notice_given"),
                ("reason", "Feil"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text_of("#status-err")
        .contains("kan ikke få status"));
    let ok = c
        .post(
            &format!("/boliger/{unit}/status"),
            &[
                ("status", "let"),
                ("effective_on", &let_on.to_string()),
                ("reason", "Ny leiekontrakt"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let no_date = c
        .post(
            &format!("/boliger/{unit}/status"),
            &[
                ("status", "notice_given"),
                ("reason", "Sagt opp"),
                ("version", "2"),
            ],
        )
        .await;
    assert!(no_date
        .text_of("#expected_vacant_from-err")
        .contains("Oppgi når"));
    // A stale status form is refused.
    let stale = c
        .post(
            &format!("/boliger/{unit}/status"),
            &[
                ("status", "vacant"),
                ("reason", "Flyttet"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let ok = c
        .post(
            &format!("/boliger/{unit}/status"),
            &[
                ("status", "notice_given"),
                ("reason", "Leietaker har sagt opp"),
                (
                    "expected_vacant_from",
                    &(app.today() + chrono::Duration::days(150)).to_string(),
                ),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/boliger/{unit}")).await;
    let history = page.texts("#historikk-tabell tbody tr");
    assert_eq!(history.len(), 3);
    assert!(history[0].contains("Utleid → Oppsagt"), "{history:?}");
    assert!(history[0].contains("Leietaker har sagt opp"));
    assert!(history[0].contains("Ola Nordmann"));
    assert!(history[1].contains(&let_on.format("%d.%m.%Y").to_string()));
    assert_eq!(app.audit_count("dwelling.status_changed").await, 2);
    // The history is append-only, even for the owner.
    let m = app.municipality_id("5037").await;
    let mut tx = app.owner.begin().await.unwrap();
    bosak::seed::with_tenant(&mut tx, m).await.unwrap();
    assert!(
        sqlx::query("UPDATE dwelling_status_changes SET reason = 'x'")
            .execute(&mut *tx)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn assessments_set_the_condition_and_fill_the_poor_list() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let property = create_property(&mut c, "Tilstandsvegen 9").await;
    let t = type_id(&app, "5037", "Robust bolig").await;
    // Sorts first among the demo data's very poor units.
    let unit = create_unit(&mut c, property, t, "A0001").await;
    c.get(&format!("/boliger/{unit}/tilstand")).await;
    let bad = c
        .post(
            &format!("/boliger/{unit}/tilstand"),
            &[
                ("assessed_on", "2026-01-10"),
                ("grade", "very_poor"),
                ("cost_estimate", "mye"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text_of("#planned_action-err").contains("Beskriv"));
    assert!(bad.text_of("#cost_estimate-err").contains("kroner"));
    let ok = c
        .post(
            &format!("/boliger/{unit}/tilstand"),
            &[
                ("assessed_on", "2026-01-10"),
                ("grade", "very_poor"),
                ("findings", "Råte i baderomsgulv"),
                ("planned_action", "Nytt bad"),
                ("cost_estimate", "180 000"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/boliger/{unit}")).await;
    assert!(page.text_of("#bolig-fakta").contains("Svært dårlig"));
    assert!(page.text_of("#vurderinger").contains("180 000,00 kr"));
    let list = c.get("/boliger/tilstand").await;
    assert!(list
        .text_of("#tilstand-tabell tbody tr:first-child")
        .contains("A0001"));
    assert!(list
        .text
        .contains(&format!("/boliger/{unit}/status?til=to_be_sold")));
    assert_eq!(app.audit_count("dwelling.assessed").await, 1);
}

#[tokio::test]
async fn team_and_auditors_read_but_never_edit() {
    let app = TestApp::spawn().await;
    let unit = some_unit(&app, "5037", "vacant").await;
    let property: uuid::Uuid = scalar(
        &app,
        "5037",
        &format!("SELECT property_id FROM dwellings WHERE id = '{unit}'"),
    )
    .await;
    for user in ["levanger.team", "revisor"] {
        let mut c = app.login(user).await;
        for path in [
            "/boliger",
            "/boliger/ledige",
            "/boliger/flytting",
            "/boliger/tilstand",
            "/eiendommer",
        ] {
            assert_eq!(c.get(path).await.status, StatusCode::OK, "{user} {path}");
        }
        let page = c.get(&format!("/boliger/{unit}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.count(&format!("a[href='/boliger/{unit}/rediger']")), 0);
        for path in [
            "/boliger/ny".to_string(),
            "/eiendommer/ny".to_string(),
            format!("/boliger/{unit}/rediger"),
            format!("/boliger/{unit}/status"),
            "/boliger/import".to_string(),
            "/innstillinger/boligtyper".to_string(),
        ] {
            let res = c.get(&path).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user} GET {path}");
        }
        for path in [
            format!("/boliger/{unit}/rediger"),
            format!("/boliger/{unit}/status"),
            format!("/boliger/{unit}/tilstand"),
            format!("/eiendommer/{property}/rediger"),
        ] {
            let res = c
                .post(
                    &path,
                    &[
                        ("status", "let"),
                        ("reason", "x"),
                        ("version", "1"),
                        ("rooms", "3"),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user} POST {path}");
        }
    }
    assert_eq!(
        scalar::<String>(
            &app,
            "5037",
            &format!("SELECT status::text FROM dwellings WHERE id = '{unit}'")
        )
        .await,
        "vacant"
    );
}

#[tokio::test]
async fn other_municipalities_units_are_not_found() {
    let app = TestApp::spawn().await;
    let verdal_unit = some_unit(&app, "5038", "let").await;
    let verdal_property: uuid::Uuid = scalar(
        &app,
        "5038",
        "SELECT id FROM properties ORDER BY id LIMIT 1",
    )
    .await;
    let mut c = app.login("levanger.saksbehandler").await;
    for path in [
        format!("/boliger/{verdal_unit}"),
        format!("/boliger/{verdal_unit}/rediger"),
        format!("/boliger/{verdal_unit}/status"),
        format!("/eiendommer/{verdal_property}"),
        format!("/boliger/ny?eiendom={verdal_property}"),
        "/boliger/not-a-uuid".to_string(),
    ] {
        assert_eq!(c.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/boliger/{verdal_unit}/rediger"),
        format!("/boliger/{verdal_unit}/status"),
        format!("/boliger/{verdal_unit}/tilstand"),
        format!("/eiendommer/{verdal_property}/rediger"),
    ] {
        let res = c
            .post(
                &path,
                &[
                    ("status", "notice_given"),
                    ("reason", "x"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
    }
    let res = post_owned(
        &mut c,
        "/boliger/ny",
        &unit_fields(verdal_property, uuid::Uuid::now_v7(), "X1"),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Lists show only Levanger, without a municipality column.
    let list = c.get("/boliger").await;
    assert!(!list.text_of("thead").contains("Kommune"));
    let verdal_street: String = scalar(&app, "5038", &format!("SELECT p.street_address FROM dwellings d JOIN properties p ON p.id = d.property_id WHERE d.id = '{verdal_unit}'")).await;
    let found = c
        .get(&format!("/boliger?q={}", verdal_street.replace(' ', "+")))
        .await;
    assert!(!found.text.contains(&verdal_unit.to_string()));

    // The office user sees Levanger and Verdal with a municipality column, never Stjørdal.
    let mut office = app.login("kontor.saksbehandler").await;
    let list = office.get("/boliger/ledige?dager=1000").await;
    assert!(list.text_of("#ledige thead").contains("Kommune"));
    let munis = list.texts("#ledige tbody tr td:first-child");
    assert!(munis.iter().any(|m| m == "Levanger"));
    assert!(
        munis.iter().all(|m| m == "Levanger" || m == "Verdal"),
        "{munis:?}"
    );
    assert_eq!(
        office.get(&format!("/boliger/{verdal_unit}")).await.status,
        StatusCode::OK
    );
    let stjordal_unit = some_unit(&app, "5035", "let").await;
    assert_eq!(
        office
            .get(&format!("/boliger/{stjordal_unit}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admins_maintain_dwelling_types_and_adaptations() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.admin").await;
    let page = c.get("/innstillinger/boligtyper").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text_of("#boligtyper-tabell")
        .contains("Omsorgsbolig med heldøgns omsorg"));
    let res = c
        .post(
            "/innstillinger/boligtyper",
            &[("kind", "type"), ("name", "Seniorbolig")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let dup = c
        .post(
            "/innstillinger/boligtyper",
            &[("kind", "type"), ("name", "seniorbolig")],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text_of("#type_name-err").contains("finnes allerede"));
    let empty = c
        .post(
            "/innstillinger/boligtyper",
            &[("kind", "adaptation"), ("name", " ")],
        )
        .await;
    assert!(empty
        .text_of("#adaptation_name-err")
        .contains("må fylles ut"));
    let senior = type_id(&app, "5037", "Seniorbolig").await;
    let res = c
        .post(
            &format!("/innstillinger/boligtyper/type/{senior}/navn"),
            &[("name", "Seniorleilighet")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = c
        .post(
            &format!("/innstillinger/boligtyper/type/{senior}/deaktiver"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get("/innstillinger/boligtyper").await;
    assert!(page
        .text_of("#boligtyper-tabell")
        .contains("Seniorleilighet Deaktivert"));
    // A deactivated type is not offered for new units.
    let mut cw = app.login("levanger.saksbehandler").await;
    let property = create_property(&mut cw, "Typevegen 1").await;
    let form = cw.get(&format!("/boliger/ny?eiendom={property}")).await;
    assert!(!form
        .text_of("#dwelling_type_id")
        .contains("Seniorleilighet"));
    assert_eq!(app.audit_count("dwelling_type.renamed").await, 1);
    // Another municipality's type is not found.
    let verdal_type = type_id(&app, "5038", "Hybel").await;
    let res = c
        .post(
            &format!("/innstillinger/boligtyper/type/{verdal_type}/deaktiver"),
            &[],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
