//! Spreadsheet import: preview, all-or-nothing confirm, re-import, Windows-1252.

use reqwest::StatusCode;

use super::*;

const GOOD: &str = "Eiendom;Adresse;Postnummer;Poststed;Område;Eierform;Eier;Heis;Bruksenhetsnummer;Boligtype;Rom;Areal;Etasje;Rullestoltilgjengelig;Tilpasninger;Månedsleie;Tilstand;Status;Forventet ledig fra\n\
Importgården;Sjøgata 40;7600;Levanger;Levanger sentrum;Kommunen;;Ja;H0101;Omsorgsbolig;2;54,5;1;Ja;Trinnfri adkomst, Tilpasset bad;8 500;God;Ledig;\n\
Importgården;Sjøgata 40;7600;Levanger;Levanger sentrum;Kommunen;;Ja;H0102;Omsorgsbolig;3;70;1;Nei;;9 800;Dårlig;Utleid;\n\
Skogn bofellesskap;Skognsvegen 3;7620;Skogn;Skogn;KF;Kommunale Boliger KF;Nei;H0101;Bofellesskap;1;38;1;Ja;;7 200;;Oppsagt;01.12.2030\n";

pub async fn upload(c: &mut Client, name: &str, bytes: Vec<u8>) -> Page {
    if c.csrf.is_none() {
        c.get("/boliger/import").await;
    }
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", c.csrf.clone().unwrap())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("text/csv")
                .unwrap(),
        );
    let res = c
        .http
        .post(format!("{}/boliger/import", c.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let text = res.text().await.unwrap();
    assert!(
        status == StatusCode::SEE_OTHER || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {text}"
    );
    match location {
        Some(l) => c.get(&l).await,
        None => Page {
            status,
            location: None,
            text,
            headers: Default::default(),
        },
    }
}

fn confirm_path(preview: &Page) -> String {
    preview
        .attr("form[action$='/bekreft']", "action")
        .expect("a confirm button")
}

async fn units_named(app: &TestApp, property: &str) -> i64 {
    scalar(
        app,
        "5037",
        &format!("SELECT count(*) FROM dwellings d JOIN properties p ON p.id = d.property_id WHERE p.name = '{property}'"),
    )
    .await
}

#[tokio::test]
async fn good_file_previews_then_imports_and_reimport_updates_without_duplicates() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let res = c
        .http
        .get(format!("{}/boliger/import/mal.csv", c.base))
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .starts_with("\u{feff}Eiendom;Adresse;Postnummer"));

    let preview = upload(&mut c, "boliger.csv", GOOD.as_bytes().to_vec()).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.text_of("#import-klar").contains("3 nye boenheter"),
        "{}",
        preview.text
    );
    assert_eq!(preview.count("#import-rader tbody tr"), 3);
    assert_eq!(
        units_named(&app, "Importgården").await,
        0,
        "nothing saved before confirm"
    );

    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let result = c.get(done.location.as_deref().unwrap()).await;
    assert!(
        result.text_of("#import-resultat").contains("3 nye"),
        "{}",
        result.text
    );
    assert_eq!(units_named(&app, "Importgården").await, 2);
    assert_eq!(units_named(&app, "Skogn bofellesskap").await, 1);
    let (rent, status, adaptations): (i64, String, i64) = {
        let m = app.municipality_id("5037").await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_as(
            "SELECT d.monthly_rent, d.status::text,
                    (SELECT count(*) FROM dwelling_unit_adaptations u WHERE u.dwelling_id = d.id)
               FROM dwellings d JOIN properties p ON p.id = d.property_id
              WHERE p.name = 'Importgården' AND d.unit_number = 'H0101'",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap()
    };
    assert_eq!((rent, status.as_str(), adaptations), (850_000, "vacant", 2));
    // A second click on the same confirmation changes nothing.
    let again = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count("dwelling.imported").await, 1);

    // Re-importing the same file: everything exists, nothing is duplicated.
    let preview = upload(&mut c, "boliger.csv", GOOD.as_bytes().to_vec()).await;
    assert!(preview
        .text_of("#import-klar")
        .contains("0 nye boenheter, 3 som finnes fra før"));
    c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(units_named(&app, "Importgården").await, 2);
    // A changed file updates by unit number and records the status change.
    let changed = GOOD.replace(
        "H0101;Omsorgsbolig;2;54,5;1;Ja;Trinnfri adkomst, Tilpasset bad;8 500;God;Ledig",
        "H0101;Omsorgsbolig;2;54,5;1;Ja;Trinnfri adkomst;8 900;God;Utleid",
    );
    let preview = upload(&mut c, "boliger2.csv", changed.into_bytes()).await;
    assert!(preview.text_of("#import-rader").contains("Ledig → Utleid"));
    let done = c.post(&confirm_path(&preview), &[]).await;
    let result = c.get(done.location.as_deref().unwrap()).await;
    assert!(
        result
            .text_of("#import-resultat")
            .contains("1 oppdatert, 2 uendret"),
        "{}",
        result.text
    );
    assert_eq!(units_named(&app, "Importgården").await, 2);
    let history: i64 = scalar(&app, "5037", "SELECT count(*) FROM dwelling_status_changes c JOIN dwellings d ON d.id = c.dwelling_id JOIN properties p ON p.id = d.property_id WHERE p.name = 'Importgården' AND d.unit_number = 'H0101'").await;
    assert_eq!(history, 2);
}

#[tokio::test]
async fn file_with_errors_shows_every_problem_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let bad = GOOD
        .replace("H0102;Omsorgsbolig;3;70", "H0102;Slottsbolig;0;7000")
        .replace("Oppsagt;01.12.2030", "Solgt;");
    let preview = upload(&mut c, "feil.csv", bad.into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK);
    let summary = preview.text_of("#import-feil");
    assert!(summary.contains("Linje 3"), "{summary}");
    assert!(summary.contains("Ukjent boligtype «Slottsbolig»"));
    assert!(summary.contains("mellom 1 og 10"));
    assert!(summary.contains("mellom 10 og 400"));
    assert!(summary.contains("Linje 4"));
    assert!(summary.contains("solgt"));
    assert_eq!(
        preview.count("form[action$='/bekreft']"),
        0,
        "no confirm button"
    );
    assert_eq!(preview.count("#linje-2 .ds-tag[data-color=danger]"), 0);
    // Confirming anyway (a forged request) saves nothing.
    let imports: Vec<uuid::Uuid> = {
        let m = app.municipality_id("5037").await;
        let mut tx = app.owner.begin().await.unwrap();
        bosak::seed::with_tenant(&mut tx, m).await.unwrap();
        sqlx::query_scalar("SELECT id FROM dwelling_imports")
            .fetch_all(&mut *tx)
            .await
            .unwrap()
    };
    let forced = c
        .post(&format!("/boliger/import/{}/bekreft", imports[0]), &[])
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(units_named(&app, "Importgården").await, 0);
    // Missing columns are reported for the file as a whole.
    let preview = upload(&mut c, "kolonner.csv", b"Eiendom;Farge\nA;B\n".to_vec()).await;
    assert!(preview
        .text_of("#import-feil")
        .contains("Kolonnen «Adresse» mangler"));
    // Not a file at all.
    let res = upload(&mut c, "tom.csv", Vec::new()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another municipality's import is not found.
    let mut verdal = app.login("verdal.saksbehandler").await;
    assert_eq!(
        verdal
            .get(&format!("/boliger/import/{}", imports[0]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn windows_1252_comma_separated_file_from_excel_imports() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let text = GOOD
        .replace(
            "Trinnfri adkomst, Tilpasset bad",
            "\"Trinnfri adkomst, Tilpasset bad\"",
        )
        .replace("8 500", "\"8 500,00\"")
        .replace("54,5", "\"54,5\"")
        .replace(';', ",")
        .replace('\n', "\r\n");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(std::str::from_utf8(&bytes).is_err());
    let preview = upload(&mut c, "excel.csv", bytes.into_owned()).await;
    assert!(preview.text.contains("Windows-1252"));
    assert!(preview.text.contains("komma"));
    assert!(
        preview.text_of("#import-klar").contains("3 nye"),
        "{}",
        preview.text_of("#import-feil")
    );
    let done = c.post(&confirm_path(&preview), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(units_named(&app, "Importgården").await, 2);
    let place: String = scalar(
        &app,
        "5037",
        "SELECT postal_place FROM properties WHERE name = 'Skogn bofellesskap'",
    )
    .await;
    assert_eq!(place, "Skogn");
    let name: i64 = scalar(
        &app,
        "5037",
        "SELECT count(*) FROM properties WHERE name = 'Importgården'",
    )
    .await;
    assert_eq!(name, 1, "æøå decoded");
}

// ASVS 5.0 V2.2.1 (input is validated to enforce functional expectations): CSV import cells
// follow the same input rule as form fields, so a NUL character is an error on its row,
// not a failure when the row is saved.
#[tokio::test]
async fn a_nul_character_in_a_cell_is_an_error_on_its_row() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    let bad = GOOD.replace("Skognsvegen 3", "Skognsvegen\u{0}3");
    let preview = upload(&mut c, "nul.csv", bad.into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK);
    let summary = preview.text_of("#import-feil");
    assert!(
        summary.contains("Linje 4") && summary.contains("NUL-tegn"),
        "{summary}"
    );
    assert!(summary.contains("«Adresse»"), "{summary}");
    assert_eq!(preview.count("form[action$='/bekreft']"), 0);
    let import: uuid::Uuid = scalar(&app, "5037", "SELECT id FROM dwelling_imports").await;
    let forced = c
        .post(&format!("/boliger/import/{import}/bekreft"), &[])
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(units_named(&app, "Skogn bofellesskap").await, 0);
}

// ASVS 5.0 V5.2.1 (only files of a size the application can process are accepted): the
// import takes files up to the 5 MB the page promises, and a bigger one gets a Norwegian
// message on the upload page rather than a bare 400.
#[tokio::test]
async fn import_takes_files_up_to_5_mb_and_explains_a_bigger_one() {
    let app = TestApp::spawn().await;
    let mut c = app.login("levanger.saksbehandler").await;
    // Over axum's default 2 MB body limit, under ours: three units and empty lines.
    let mut big = GOOD.to_string();
    let empty = format!("{}\n", ";".repeat(18));
    while big.len() < 3 * 1024 * 1024 {
        big.push_str(&empty);
    }
    let preview = upload(&mut c, "stor.csv", big.into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(
        preview.count("form[action$='/bekreft']"),
        1,
        "{}",
        preview.text_of("#import-feil")
    );
    // Just over 5 MB (within the route's room for the other fields), and far over it.
    for size in [5 * 1024 * 1024 + 1, 8 * 1024 * 1024] {
        let mut bytes = GOOD.as_bytes().to_vec();
        bytes.resize(size, b'\n');
        let res = upload(&mut c, "for-stor.csv", bytes).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{size}");
        assert!(
            res.text
                .contains("Filen er for stor. Største tillatte størrelse er 5 MB"),
            "{size}: {}",
            res.text
        );
    }
    let imports: i64 = scalar(&app, "5037", "SELECT count(*) FROM dwelling_imports").await;
    assert_eq!(imports, 1);
}
