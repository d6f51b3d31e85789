//! The unit list (filters, sorting, keyset pages, CSV), the vacancy overview and moves.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn unit_list_pages_sorts_filters_and_exports() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let total: i64 = scalar(
        &app,
        "5037",
        "SELECT count(*) FROM dwellings WHERE status <> 'sold'",
    )
    .await;
    assert!(total > 100, "demo data: {total}");
    // Walk every page: no unit twice, none missing.
    let mut seen = std::collections::HashSet::new();
    let mut path = "/boliger?sorter=rom&synkende=1".to_string();
    let mut pages = 0;
    let mut last_rooms = i32::MAX;
    loop {
        let page = c.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        for row in page
            .html()
            .select(&scraper::Selector::parse("tbody tr").unwrap())
        {
            let href = row
                .select(&scraper::Selector::parse("a").unwrap())
                .next()
                .and_then(|a| a.value().attr("href"))
                .unwrap()
                .to_string();
            assert!(seen.insert(href), "a unit listed twice");
            let rooms: i32 = row
                .select(&scraper::Selector::parse("td:nth-child(4)").unwrap())
                .next()
                .unwrap()
                .text()
                .collect::<String>()
                .trim()
                .parse()
                .unwrap();
            assert!(rooms <= last_rooms, "sorted by rooms, descending");
            last_rooms = rooms;
        }
        pages += 1;
        match page.attr("a[href^='/boliger?'][href*='etter=']", "href") {
            Some(next) => path = next.replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
    assert!(pages >= 3);

    // Filters: only vacant, wheelchair accessible, 2–3 rooms.
    let page = c
        .get("/boliger?status=vacant&rullestol=1&rom_fra=2&rom_til=3")
        .await;
    for row in page.texts("tbody tr") {
        assert!(row.contains("Ledig"), "{row}");
    }
    let bad = c.get("/boliger?rom_fra=null").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text_of("#rom_fra-err").contains("helt tall"));

    // CSV of the filtered list: BOM, semicolons, Norwegian headings, every row.
    let res = c
        .http
        .get(format!("{}/boliger/eksport.csv?status=let", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = res.text().await.unwrap();
    assert!(body.starts_with("\u{feff}Kommune;Eiendom;Adresse"));
    let let_count: i64 = scalar(
        &app,
        "5037",
        "SELECT count(*) FROM dwellings WHERE status = 'let'",
    )
    .await;
    assert_eq!(body.lines().count() as i64, let_count + 1);
    assert!(body.lines().skip(1).all(|l| l.contains(";Utleid;")));
    let via_format = c.get("/boliger?format=csv&status=let").await;
    assert_eq!(via_format.text.lines().count() as i64, let_count + 1);
}

#[tokio::test]
async fn vacancy_overview_counts_and_lists_vacant_and_soon_vacant_units() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let property = create_property(&mut c, "Ledigvegen 5").await;
    let t = type_id(&app, "5037", "Barnebolig").await;
    let vacant = create_unit(&mut c, property, t, "H0101").await;
    let let_unit = create_unit(&mut c, property, t, "H0102").await;
    let today = app.today();
    let soon = (today + chrono::Duration::days(30)).to_string();
    let later = (today + chrono::Duration::days(200)).to_string();
    for (status, reason, expected, version) in [
        ("let", "Ny leiekontrakt", "", "1"),
        ("notice_given", "Sagt opp", soon.as_str(), "2"),
    ] {
        let res = c
            .post(
                &format!("/boliger/{let_unit}/status"),
                &[
                    ("status", status),
                    ("reason", reason),
                    ("expected_vacant_from", expected),
                    ("version", version),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    }
    let page = c.get("/boliger/ledige?boligtype=Barnebolig").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.texts("#ledige tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("Ledig nå"), "vacant first: {rows:?}");
    assert!(rows[1].contains("Oppsagt"));
    assert!(page.text.contains(&vacant.to_string()));
    let counts = page.texts("#antall-tabell tbody tr");
    assert_eq!(counts, vec!["Barnebolig 2 1 1".to_string()]);
    // A horizon before the expected date leaves the notice-given unit out.
    let short = c.get("/boliger/ledige?boligtype=Barnebolig&dager=10").await;
    assert_eq!(short.texts("#ledige tbody tr").len(), 1);
    let _ = later;
    // Counts by type over the whole stock, like the municipality's own tables.
    let all = c.get("/boliger/ledige").await;
    let ordinary = all
        .texts("#antall-tabell tbody tr")
        .into_iter()
        .find(|r| r.starts_with("Ordinær kommunal utleiebolig"))
        .unwrap();
    let n: i64 = scalar(&app, "5037", "SELECT count(*) FROM dwellings d JOIN dwelling_types t ON t.id = d.dwelling_type_id WHERE t.name = 'Ordinær kommunal utleiebolig' AND d.status <> 'sold'").await;
    assert!(
        ordinary.starts_with(&format!("Ordinær kommunal utleiebolig {n} ")),
        "{ordinary}"
    );
    let wheelchair = c
        .get("/boliger/ledige?rullestol=1&rom_fra=1&rom_til=10&areal_fra=10&areal_til=400")
        .await;
    assert_eq!(wheelchair.status, StatusCode::OK);
}

#[tokio::test]
async fn moves_in_and_out_come_from_the_status_history() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let property = create_property(&mut c, "Flyttevegen 2").await;
    let t = type_id(&app, "5037", "Avlastningsbolig").await;
    let unit = create_unit(&mut c, property, t, "H0101").await;
    let today = app.today();
    let d = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let changes = [("let", d(100)), ("vacant", d(60)), ("let", d(20))];
    for (version, (status, on)) in (1..).zip(changes) {
        let res = c
            .post(
                &format!("/boliger/{unit}/status"),
                &[
                    ("status", status),
                    ("effective_on", on.as_str()),
                    ("reason", "Flytting"),
                    ("version", &version.to_string()),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    }
    let page = c
        .get(&format!("/boliger/flytting?fra={}&til={}", d(110), d(40)))
        .await;
    let counts = page.texts("#flytting-antall tbody tr");
    assert!(
        counts.contains(&"Avlastningsbolig 1 1".to_string()),
        "{counts:?}"
    );
    let moves = page.texts("#flyttinger-tabell tbody tr");
    assert!(
        moves
            .iter()
            .any(|m| m.contains("Innflytting") && m.contains("Avlastningsbolig")),
        "{moves:?}"
    );
    assert!(moves
        .iter()
        .any(|m| m.contains("Utflytting") && m.contains("Avlastningsbolig")));
    // The initial registration is not a move; the third change is outside the period.
    let all = c
        .get(&format!("/boliger/flytting?fra={}&til={}", d(400), d(0)))
        .await;
    assert!(all
        .texts("#flytting-antall tbody tr")
        .contains(&"Avlastningsbolig 2 1".to_string()));
    let bad = c.get("/boliger/flytting?fra=i+går").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text_of("#fra-err").contains("dd.mm.åååå"));
}
