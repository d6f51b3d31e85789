//! Demo and benchmark applications. Rows are generated in Rust (deterministically) and
//! written set-based with `unnest`, one statement per table and municipality, so the
//! scale data (60 000 applications at factor 10) is written in seconds.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{self, complete_national_id, format_case_number, Status};
use super::repo;
use crate::seed::with_tenant;

const FIRST: &[&str] = &[
    "Ola", "Kari", "Per", "Ingrid", "Ahmed", "Fatima", "Nils", "Sigrid", "Jonas", "Emma",
    "Mohammed", "Nora", "Lars", "Sofie", "Ali", "Amina", "Erik", "Hanne", "Tomas", "Maja",
    "Daniel", "Leah", "Yonas", "Selam", "Piotr", "Anna", "Oskar", "Ida", "Kristian", "Marit",
];
const LAST: &[&str] = &[
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg",
    "Haugen", "Hagen", "Eriksen", "Bakken", "Skogn", "Vold", "Ekne", "Hussein", "Tesfay",
    "Kowalski", "Moe", "Lie", "Dahl", "Lund", "Aas", "Strand", "Solberg",
];
const NOTES: &[&str] = &[
    "Søker ringte og spurte om status. Informert om at saken er under behandling.",
    "Innhentet opplysninger fra NAV om inntekt etter samtykke.",
    "Hjemmebesøk gjennomført. Boligen er fuktig og uegnet for barna.",
    "Søker ønsker primært bolig i nærheten av skolen til barna.",
    "Avklart med hjemmetjenesten at det er behov for oppfølging i hjemmet.",
];

struct Spec {
    person_id: Uuid,
    name: String,
    national_id: Option<String>,
    birth: NaiveDate,
    phone: String,
    app_id: Uuid,
    year: i32,
    seq: i32,
    received: NaiveDate,
    status: Status,
    decided: Option<NaiveDate>,
    interim_sent: Option<NaiveDate>,
    caseworker: Option<Uuid>,
    channel: &'static str,
    situation: &'static str,
    dwelling: String,
    services: String,
    wheelchair: bool,
    ground_floor: bool,
    followup: bool,
    care: &'static str,
    areas: String,
    income: Option<i64>,
    reasons: Vec<Uuid>,
    members: Vec<(Uuid, String, Option<String>, NaiveDate, &'static str)>,
}

struct Gen {
    rng: StdRng,
    used_ids: std::collections::HashSet<String>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: StdRng::seed_from_u64(seed),
            used_ids: Default::default(),
        }
    }

    fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.rng.gen_range(0..list.len())]
    }

    fn birth(&mut self, min_age: i64, max_age: i64, today: NaiveDate) -> NaiveDate {
        today - Duration::days(self.rng.gen_range(min_age * 365..max_age * 365))
    }

    /// A synthetic identity number (month + 80, Skatteetaten's test numbers): valid,
    /// and never a real person's.
    fn national_id(&mut self, birth: NaiveDate) -> Option<String> {
        for _ in 0..50 {
            let individual: u32 = if birth.year() >= 2000 {
                self.rng.gen_range(500..1000)
            } else {
                self.rng.gen_range(0..500)
            };
            let prefix = format!(
                "{:02}{:02}{:02}{individual:03}",
                birth.day(),
                birth.month() + 80,
                birth.year() % 100
            );
            if let Some(n) = complete_national_id(&prefix) {
                if self.used_ids.insert(n.clone()) {
                    return Some(n);
                }
            }
        }
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn specs(
    g: &mut Gen,
    count: usize,
    open_share: f64,
    today: NaiveDate,
    caseworkers: &[Uuid],
    reasons: &[Uuid],
    areas: &[Uuid],
    counters: &mut std::collections::BTreeMap<i32, i32>,
) -> Vec<Spec> {
    let open_statuses = [
        Status::Received,
        Status::UnderAssessment,
        Status::UnderAssessment,
        Status::ReadyForMeeting,
        Status::Approved,
        Status::PartlyApproved,
        Status::WaitingList,
        Status::WaitingList,
        Status::Offered,
    ];
    let closed_statuses = [
        Status::Rejected,
        Status::Housed,
        Status::Housed,
        Status::Withdrawn,
        Status::ClosedWithoutDecision,
    ];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let open = (i as f64) < open_share * count as f64;
        let status = if open {
            open_statuses[i % open_statuses.len()]
        } else {
            closed_statuses[i % closed_statuses.len()]
        };
        let undecided = Status::UNDECIDED.contains(&status);
        let age_days: i64 = if undecided {
            g.rng.gen_range(0..70)
        } else if open {
            g.rng.gen_range(40..500)
        } else {
            g.rng.gen_range(40..1500)
        };
        let received = today - Duration::days(age_days);
        let decided = (status.is_decided() && status != Status::Withdrawn)
            .then(|| (received + Duration::days(g.rng.gen_range(20..40))).min(today));
        let due = model::interim_due(received);
        let interim_sent = (due <= today
            && (undecided || decided.is_some_and(|d| d > due))
            && g.rng.gen_bool(0.6))
        .then(|| (due - Duration::days(g.rng.gen_range(0..5))).min(today));
        let birth = g.birth(18, 90, today);
        let national_id = if g.rng.gen_bool(0.9) {
            g.national_id(birth)
        } else {
            None
        };
        let name = format!("{} {}", g.pick(FIRST), g.pick(LAST));
        let year = received.year();
        let seq = {
            let c = counters.entry(year).or_insert(0);
            *c += 1;
            *c
        };
        let mut members = Vec::new();
        let household = g.rng.gen_range(0..4);
        let last = name.split(' ').nth(1).unwrap_or("").to_string();
        for k in 0..household {
            let (relation, b) = if k == 0 && g.rng.gen_bool(0.4) {
                ("spouse", g.birth(18, 80, today))
            } else if g.rng.gen_bool(0.2) {
                ("visiting_child", g.birth(1, 17, today))
            } else {
                ("child", g.birth(0, 17, today))
            };
            let nid = if g.rng.gen_bool(0.7) {
                g.national_id(b)
            } else {
                None
            };
            members.push((
                Uuid::now_v7(),
                format!("{} {last}", g.pick(FIRST)),
                nid,
                b,
                relation,
            ));
        }
        let mut my_reasons = Vec::new();
        if !reasons.is_empty() {
            for _ in 0..g.rng.gen_range(1..3) {
                let r = g.pick(reasons);
                if !my_reasons.contains(&r) {
                    my_reasons.push(r);
                }
            }
        }
        let mut my_areas = Vec::new();
        if !areas.is_empty() && g.rng.gen_bool(0.7) {
            my_areas.push(g.pick(areas).to_string());
        }
        out.push(Spec {
            person_id: Uuid::now_v7(),
            name,
            national_id,
            birth,
            phone: format!("9{:07}", g.rng.gen_range(0..10_000_000)),
            app_id: Uuid::now_v7(),
            year,
            seq,
            received,
            status,
            decided,
            interim_sent,
            caseworker: if caseworkers.is_empty() || g.rng.gen_bool(0.15) {
                None
            } else {
                Some(g.pick(caseworkers))
            },
            channel: g.pick(&[
                "paper",
                "front_desk",
                "digital",
                "digital",
                "referral_nav",
                "referral_health",
            ]),
            situation: g.pick(&["without_home", "at_risk", "unsuitable"]),
            dwelling: g
                .pick(&[
                    "ordinary",
                    "transitional",
                    "care",
                    "ordinary,transitional",
                    "robust",
                    "welfare",
                ])
                .to_string(),
            services: g
                .pick(&["", "", "housing_guidance", "home_care", "practical_help"])
                .to_string(),
            wheelchair: g.rng.gen_bool(0.1),
            ground_floor: g.rng.gen_bool(0.2),
            followup: g.rng.gen_bool(0.3),
            care: g.pick(&["none", "none", "none", "some", "extensive"]),
            areas: my_areas.join(","),
            income: g
                .rng
                .gen_bool(0.8)
                .then(|| g.rng.gen_range(8_000..45_000) * 100),
            reasons: my_reasons,
            members,
        });
    }
    out
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

async fn write(conn: &mut PgConnection, m: Uuid, specs: &[Spec]) -> anyhow::Result<()> {
    // People: applicants and members.
    let mut p_id = Vec::new();
    let mut p_nid: Vec<Option<String>> = Vec::new();
    let mut p_birth = Vec::new();
    let mut p_name = Vec::new();
    let mut p_phone = Vec::new();
    for s in specs {
        p_id.push(s.person_id);
        p_nid.push(s.national_id.clone());
        p_birth.push(s.birth);
        p_name.push(s.name.clone());
        p_phone.push(s.phone.clone());
        for (id, name, nid, b, _) in &s.members {
            p_id.push(*id);
            p_nid.push(nid.clone());
            p_birth.push(*b);
            p_name.push(name.clone());
            p_phone.push(String::new());
        }
    }
    sqlx::query(
        "INSERT INTO people (municipality_id, id, national_id, birth_date, name, phone, street_address, postcode, postal_place)
         SELECT $1, u.id, u.nid, u.birth, u.name, u.phone, 'Storgata ' || (row_number() OVER () % 80 + 1), '7600', 'Levanger'
           FROM unnest($2::uuid[], $3::text[], $4::date[], $5::text[], $6::text[]) AS u(id, nid, birth, name, phone)",
    )
    .bind(m)
    .bind(&p_id)
    .bind(&p_nid)
    .bind(&p_birth)
    .bind(&p_name)
    .bind(&p_phone)
    .execute(&mut *conn)
    .await?;

    let col = |f: &dyn Fn(&Spec) -> String| specs.iter().map(f).collect::<Vec<String>>();
    let ids: Vec<Uuid> = specs.iter().map(|s| s.app_id).collect();
    let years: Vec<i32> = specs.iter().map(|s| s.year).collect();
    let seqs: Vec<i32> = specs.iter().map(|s| s.seq).collect();
    let numbers = col(&|s| format_case_number(s.year, s.seq));
    let received: Vec<NaiveDate> = specs.iter().map(|s| s.received).collect();
    let channels = col(&|s| s.channel.to_string());
    let statuses: Vec<Status> = specs.iter().map(|s| s.status).collect();
    let applicants: Vec<Uuid> = specs.iter().map(|s| s.person_id).collect();
    let caseworkers: Vec<Option<Uuid>> = specs.iter().map(|s| s.caseworker).collect();
    let dwelling = col(&|s| s.dwelling.clone());
    let services = col(&|s| s.services.clone());
    let situations = col(&|s| s.situation.to_string());
    let wheel: Vec<bool> = specs.iter().map(|s| s.wheelchair).collect();
    let ground: Vec<bool> = specs.iter().map(|s| s.ground_floor).collect();
    let follow: Vec<bool> = specs.iter().map(|s| s.followup).collect();
    let care = col(&|s| s.care.to_string());
    let areas = col(&|s| s.areas.clone());
    let income: Vec<Option<i64>> = specs.iter().map(|s| s.income).collect();
    let decided: Vec<Option<NaiveDate>> = specs.iter().map(|s| s.decided).collect();
    let interim: Vec<Option<NaiveDate>> = specs.iter().map(|s| s.interim_sent).collect();
    let public: Vec<bool> = specs.iter().map(|s| s.channel == "digital").collect();
    sqlx::query(
        "INSERT INTO applications (municipality_id, id, case_year, case_seq, case_number, received_on,
            channel, status, applicant_id, caseworker_id, dwelling_types, services_wanted, situation,
            needs_wheelchair, needs_ground_floor, needs_home_followup, care_level, wished_area_ids,
            monthly_income_ore, decided_on, interim_sent_on, interim_reason, submitted_publicly,
            consent_nav, consent_given_on)
         SELECT $1, u.id, u.y, u.seq, u.num, u.rec, u.ch::application_channel, u.st, u.app, u.cw,
                string_to_array(u.dw, ','), string_to_array(u.sv, ','), u.sit::housing_situation,
                u.wh, u.gr, u.fo, u.care, string_to_array(u.ar, ',')::uuid[], u.inc, u.dec, u.ints,
                CASE WHEN u.ints IS NULL THEN '' ELSE 'Vi venter på opplysninger fra NAV og helsetjenesten.' END,
                u.pub, true, u.rec
           FROM unnest($2::uuid[], $3::int[], $4::int[], $5::text[], $6::date[], $7::text[],
                       $8::application_status[], $9::uuid[], $10::uuid[], $11::text[], $12::text[],
                       $13::text[], $14::bool[], $15::bool[], $16::bool[], $17::text[], $18::text[],
                       $19::bigint[], $20::date[], $21::date[], $22::bool[])
             AS u(id, y, seq, num, rec, ch, st, app, cw, dw, sv, sit, wh, gr, fo, care, ar, inc, dec, ints, pub)",
    )
    .bind(m)
    .bind(&ids)
    .bind(&years)
    .bind(&seqs)
    .bind(&numbers)
    .bind(&received)
    .bind(&channels)
    .bind(&statuses)
    .bind(&applicants)
    .bind(&caseworkers)
    .bind(&dwelling)
    .bind(&services)
    .bind(&situations)
    .bind(&wheel)
    .bind(&ground)
    .bind(&follow)
    .bind(&care)
    .bind(&areas)
    .bind(&income)
    .bind(&decided)
    .bind(&interim)
    .bind(&public)
    .execute(&mut *conn)
    .await?;

    let mut m_app = Vec::new();
    let mut m_person = Vec::new();
    let mut m_rel = Vec::new();
    let mut r_app = Vec::new();
    let mut r_reason = Vec::new();
    for s in specs {
        for (id, _, _, _, rel) in &s.members {
            m_app.push(s.app_id);
            m_person.push(*id);
            m_rel.push(rel.to_string());
        }
        for r in &s.reasons {
            r_app.push(s.app_id);
            r_reason.push(*r);
        }
    }
    sqlx::query(
        "INSERT INTO application_members (municipality_id, application_id, person_id, relation)
         SELECT $1, a, p, r::household_relation FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS u(a, p, r)",
    )
    .bind(m)
    .bind(&m_app)
    .bind(&m_person)
    .bind(&m_rel)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO application_reason_links (municipality_id, application_id, reason_id)
         SELECT $1, a, r FROM unnest($2::uuid[], $3::uuid[]) AS u(a, r)",
    )
    .bind(m)
    .bind(&r_app)
    .bind(&r_reason)
    .execute(&mut *conn)
    .await?;

    // Timeline: registration, the interim reply, and the current status.
    let mut e_id = Vec::new();
    let mut e_app = Vec::new();
    let mut e_at = Vec::new();
    let mut e_kind = Vec::new();
    let mut e_summary = Vec::new();
    let mut e_actor: Vec<Option<Uuid>> = Vec::new();
    for s in specs {
        let mut push = |at: DateTime<Utc>, kind: &str, summary: String| {
            e_id.push(Uuid::now_v7());
            e_app.push(s.app_id);
            e_at.push(at);
            e_kind.push(kind.to_string());
            e_summary.push(summary);
            e_actor.push(s.caseworker);
        };
        push(
            at(s.received, 9),
            "registered",
            format!(
                "Søknad registrert med saksnummer {} ({})",
                format_case_number(s.year, s.seq),
                model::label_of(model::CHANNELS, s.channel).to_lowercase()
            ),
        );
        if let Some(d) = s.interim_sent {
            push(
                at(d, 10),
                "interim_reply",
                "Foreløpig svar sendt til søker".into(),
            );
        }
        if s.status != Status::Received {
            let when = s.decided.unwrap_or(s.received + Duration::days(3));
            push(
                at(when, 12),
                "status_changed",
                format!("Status endret til «{}»", s.status.label()),
            );
        }
    }
    sqlx::query(
        "INSERT INTO application_events (municipality_id, id, application_id, at, kind, summary, actor_id)
         SELECT $1, i, a, t, k, s, u FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::uuid[])
           AS x(i, a, t, k, s, u)",
    )
    .bind(m)
    .bind(&e_id)
    .bind(&e_app)
    .bind(&e_at)
    .bind(&e_kind)
    .bind(&e_summary)
    .bind(&e_actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn set_counters(
    conn: &mut PgConnection,
    m: Uuid,
    counters: &std::collections::BTreeMap<i32, i32>,
) -> anyhow::Result<()> {
    for (year, last) in counters {
        sqlx::query(
            "INSERT INTO case_number_counters (municipality_id, year, last_number) VALUES ($1, $2, $3)
             ON CONFLICT (municipality_id, year) DO UPDATE SET last_number = EXCLUDED.last_number",
        )
        .bind(m)
        .bind(year)
        .bind(last)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn context(
    conn: &mut PgConnection,
    m: Uuid,
) -> anyhow::Result<(Vec<Uuid>, Vec<Uuid>, Vec<Uuid>)> {
    with_tenant(conn, m).await?;
    repo::ensure_defaults(conn, m).await?;
    let caseworkers: Vec<Uuid> = repo::caseworkers(conn, &[m])
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let reasons: Vec<Uuid> = repo::reasons(conn, m, true)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let areas: Vec<Uuid> = repo::areas(conn, m)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    Ok((caseworkers, reasons, areas))
}

/// A tiny valid PDF for the demo documents.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

pub async fn demo(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String, String)],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    for (k, (m, _, _)) in municipalities.iter().enumerate() {
        let (caseworkers, reasons, areas) = context(conn, *m).await?;
        let mut g = Gen::new(1000 + k as u64);
        let mut counters = Default::default();
        let specs = specs(
            &mut g,
            100,
            0.75,
            today,
            &caseworkers,
            &reasons,
            &areas,
            &mut counters,
        );
        write(conn, *m, &specs).await?;
        set_counters(conn, *m, &counters).await?;
        // Assessments and notes on cases past registration; documents on a few.
        for (i, s) in specs.iter().enumerate() {
            if s.status == Status::Received {
                continue;
            }
            let by = s.caseworker.or(caseworkers.first().copied());
            sqlx::query(
                "INSERT INTO assessments (municipality_id, id, application_id, version_no, housing_history,
                    independence, independence_level, service_needs, health_social, conclusion, created_by, created_at)
                 VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(m)
            .bind(Uuid::now_v7())
            .bind(s.app_id)
            .bind("Har leid privat de siste årene. Husleierestanse hos forrige utleier.")
            .bind("Klarer daglige gjøremål, trenger hjelp med økonomi og post.")
            .bind(g.pick(&["independent", "some_support", "extensive_support"]))
            .bind("Boveiledning to ganger i uken de første månedene.")
            .bind("Stabil helse. Har kontakt med fastlege og NAV.")
            .bind("Søker fyller vilkårene og har behov for kommunal bolig.")
            .bind(by)
            .bind(at(s.received + Duration::days(7), 11))
            .execute(&mut *conn)
            .await?;
            let note = NOTES[i % NOTES.len()];
            for (kind, summary, detail, day) in [
                (
                    "assessment",
                    "Kartlegging lagret (versjon 1)",
                    "Søker fyller vilkårene og har behov for kommunal bolig.",
                    7,
                ),
                ("note", "Notat", note, 10),
            ] {
                sqlx::query(
                    "INSERT INTO application_events (municipality_id, id, application_id, at, kind, summary, detail, actor_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(m)
                .bind(Uuid::now_v7())
                .bind(s.app_id)
                .bind(at((s.received + Duration::days(day)).min(today), 13))
                .bind(kind)
                .bind(summary)
                .bind(detail)
                .bind(by)
                .execute(&mut *conn)
                .await?;
            }
            if i % 12 == 1 {
                let doc = repo::insert_document(
                    conn,
                    *m,
                    s.app_id,
                    "Lønnsslipp",
                    "lonnsslipp.pdf",
                    "application/pdf",
                    DEMO_PDF,
                    by,
                )
                .await?;
                repo::record_event(
                    conn,
                    *m,
                    s.app_id,
                    by,
                    "document",
                    "Dokument lagt til: Lønnsslipp",
                    "",
                    Some(&format!("/soknader/{}/dokumenter/{doc}", s.app_id)),
                )
                .await?;
            }
        }
    }
    Ok(())
}

pub async fn scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    factor: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    if municipalities.is_empty() {
        return Ok(());
    }
    let total = 6000 * factor.max(1) as usize;
    let per = total / municipalities.len();
    for (k, m) in municipalities.iter().enumerate() {
        let (caseworkers, reasons, areas) = context(conn, *m).await?;
        let mut g = Gen::new(50_000 + k as u64);
        let mut counters = Default::default();
        let count = if k == municipalities.len() - 1 {
            total - per * (municipalities.len() - 1)
        } else {
            per
        };
        let specs = specs(
            &mut g,
            count,
            2500.0 / 6000.0,
            today,
            &caseworkers,
            &reasons,
            &areas,
            &mut counters,
        );
        for chunk in specs.chunks(2000) {
            write(conn, *m, chunk).await?;
        }
        set_counters(conn, *m, &counters).await?;
    }
    Ok(())
}
