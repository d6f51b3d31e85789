//! Demo and benchmark dwellings: properties with realistic Norwegian addresses, units in
//! proportions like Levanger's (ordinary rentals the largest group, then care homes and
//! welfare homes), some vacant, some on notice, some in poor condition, with history.
//! Written set-based (UNNEST) so factor 10 (120 000 units) loads in seconds.

use chrono::{Duration, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use super::model::{Condition, OwnerType, Status};
use super::repo;
use crate::seed::with_tenant;

/// A small deterministic generator: the same demo data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Index into `weights` with probability proportional to the weight.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }
}

/// Dwelling types (names from `DEFAULT_TYPES`) with their share in Levanger-like stock,
/// units per building, and rooms.
/// (type name, share, units per building (min, max), rooms (min, max)).
type Mix = (&'static str, u64, (u64, u64), (i16, i16));

const MIX: &[Mix] = &[
    ("Ordinær kommunal utleiebolig", 44, (4, 12), (1, 4)),
    ("Omsorgsbolig", 18, (6, 14), (1, 3)),
    ("Trygdebolig/velferdsbolig", 12, (4, 10), (1, 3)),
    ("Gjennomgangsbolig", 8, (2, 6), (1, 4)),
    ("Omsorgsbolig med heldøgns omsorg", 6, (6, 10), (1, 2)),
    ("Bofellesskap", 5, (4, 8), (1, 2)),
    ("Robust bolig", 4, (1, 2), (1, 2)),
    ("Midlertidig bolig/akutthybel", 3, (2, 4), (1, 1)),
];

struct Place {
    streets: &'static [&'static str],
    postcode: &'static str,
    postal_place: &'static str,
}

fn places(number: &str) -> Vec<Place> {
    match number {
        "5037" => vec![
            Place {
                streets: &[
                    "Kirkegata",
                    "Sjøgata",
                    "Håkon den godes gate",
                    "Moanvegen",
                    "Nesset",
                    "Levanger Torg",
                    "Gamle Kongeveg",
                    "Røstadvegen",
                ],
                postcode: "7600",
                postal_place: "Levanger",
            },
            Place {
                streets: &["Skognsvegen", "Hoklingsvegen", "Markabygdvegen"],
                postcode: "7620",
                postal_place: "Skogn",
            },
            Place {
                streets: &["Åsenvegen", "Tuvegen"],
                postcode: "7630",
                postal_place: "Åsen",
            },
        ],
        "5038" => vec![
            Place {
                streets: &[
                    "Jernbanegata",
                    "Nordgata",
                    "Stiklestad allé",
                    "Ørmelenvegen",
                    "Vuku sentrum",
                    "Rinnanvegen",
                    "Volhaugvegen",
                ],
                postcode: "7650",
                postal_place: "Verdal",
            },
            Place {
                streets: &["Vinnevegen", "Leklemsvegen"],
                postcode: "7660",
                postal_place: "Vuku",
            },
        ],
        "5035" => vec![
            Place {
                streets: &[
                    "Kjøpmannsgata",
                    "Innherredsvegen",
                    "Sandfærhus",
                    "Prestmoen",
                    "Søndre gate",
                    "Stokkanvegen",
                    "Ravnkloa",
                ],
                postcode: "7500",
                postal_place: "Stjørdal",
            },
            Place {
                streets: &["Hegra sentrum", "Flornesvegen"],
                postcode: "7520",
                postal_place: "Hegra",
            },
            Place {
                streets: &["Skatvalsvegen", "Hellsvegen"],
                postcode: "7510",
                postal_place: "Skatval",
            },
        ],
        _ => vec![Place {
            streets: &[
                "Skalavegen",
                "Nordvegen",
                "Sørvegen",
                "Storgata",
                "Parkvegen",
            ],
            postcode: "7000",
            postal_place: "Skala",
        }],
    }
}

const COMPANIES: &[&str] = &[
    "Kommunale Boliger KF",
    "Innherred Boligstiftelse",
    "Sentrum Borettslag",
    "Nordbo Eiendom AS",
    "Trøndelag Utleie AS",
];

#[derive(Default)]
struct Batch {
    p_id: Vec<Uuid>,
    p_name: Vec<String>,
    p_street: Vec<String>,
    p_postcode: Vec<String>,
    p_place: Vec<String>,
    p_area: Vec<Option<Uuid>>,
    p_owner: Vec<OwnerType>,
    p_owner_name: Vec<String>,
    p_ends: Vec<Option<NaiveDate>>,
    p_lift: Vec<bool>,
    p_gnr: Vec<Option<i32>>,
    p_bnr: Vec<Option<i32>>,
    d_id: Vec<Uuid>,
    d_property: Vec<Uuid>,
    d_number: Vec<String>,
    d_type: Vec<Uuid>,
    d_rooms: Vec<i16>,
    d_area: Vec<i32>,
    d_floor: Vec<Option<i16>>,
    d_wheelchair: Vec<bool>,
    d_staff: Vec<bool>,
    d_rent: Vec<Option<i64>>,
    d_condition: Vec<Option<Condition>>,
    d_assessed: Vec<Option<NaiveDate>>,
    d_status: Vec<Status>,
    d_since: Vec<NaiveDate>,
    d_expected: Vec<Option<NaiveDate>>,
    c_dwelling: Vec<Uuid>,
    c_on: Vec<NaiveDate>,
    c_from: Vec<Option<Status>>,
    c_to: Vec<Status>,
    c_reason: Vec<String>,
    a_dwelling: Vec<Uuid>,
    a_on: Vec<NaiveDate>,
    a_grade: Vec<Condition>,
    a_findings: Vec<String>,
    a_action: Vec<String>,
    a_cost: Vec<Option<i64>>,
}

impl Batch {
    fn change(&mut self, d: Uuid, on: NaiveDate, from: Option<Status>, to: Status, why: &str) {
        self.c_dwelling.push(d);
        self.c_on.push(on);
        self.c_from.push(from);
        self.c_to.push(to);
        self.c_reason.push(why.to_string());
    }
}

/// Generates about `units` units for a municipality into `b`.
#[allow(clippy::too_many_arguments)]
fn generate(
    b: &mut Batch,
    rng: &mut Rng,
    number: &str,
    units: usize,
    areas: &[Uuid],
    types: &[(String, Uuid)],
    today: NaiveDate,
    scale: bool,
) {
    let places = places(number);
    let type_id = |name: &str| {
        types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .unwrap_or(types[0].1)
    };
    let weights: Vec<u64> = MIX.iter().map(|m| m.1).collect();
    let mut made = 0;
    let mut house = 0u64;
    while made < units {
        house += 1;
        let kind = &MIX[rng.weighted(&weights)];
        let place = rng.pick(&places);
        let street = rng.pick(place.streets);
        let no = if scale { house } else { 1 + rng.below(60) };
        let street_address = format!("{street} {no}");
        let name = match kind.0 {
            "Omsorgsbolig" | "Omsorgsbolig med heldøgns omsorg" => {
                format!("{street} omsorgsboliger {no}")
            }
            "Trygdebolig/velferdsbolig" => format!("{street} trygdeboliger {no}"),
            "Bofellesskap" => format!("{street} bofellesskap {no}"),
            _ => street_address.clone(),
        };
        if b.p_name.iter().any(|n| n.eq_ignore_ascii_case(&name)) && !scale {
            continue;
        }
        let owner = match rng.below(20) {
            0..=11 => OwnerType::Municipality,
            12..=15 => OwnerType::MunicipalCompany,
            16..=17 => OwnerType::AllocationRight,
            _ => OwnerType::Leased,
        };
        let owner_name = match owner {
            OwnerType::Municipality => String::new(),
            _ => rng.pick(COMPANIES).to_string(),
        };
        let ends = match owner {
            OwnerType::AllocationRight | OwnerType::Leased => {
                Some(today + Duration::days(200 + rng.below(6000) as i64))
            }
            _ => None,
        };
        let count = (kind.2 .0 + rng.below(kind.2 .1 - kind.2 .0 + 1)) as usize;
        let floors = (count as u64).div_ceil(4).max(1);
        let pid = Uuid::now_v7();
        b.p_id.push(pid);
        b.p_name.push(name);
        b.p_street.push(street_address);
        b.p_postcode.push(place.postcode.into());
        b.p_place.push(place.postal_place.into());
        b.p_area.push((!areas.is_empty()).then(|| *rng.pick(areas)));
        b.p_owner.push(owner);
        b.p_owner_name.push(owner_name);
        b.p_ends.push(ends);
        b.p_lift.push(floors > 2 || kind.0.starts_with("Omsorg"));
        let cadastral = rng.below(3) > 0;
        b.p_gnr.push(cadastral.then(|| 1 + rng.below(400) as i32));
        b.p_bnr.push(cadastral.then(|| 1 + rng.below(300) as i32));
        let care = kind.0.starts_with("Omsorg") || kind.0 == "Bofellesskap";
        for i in 0..count {
            let floor = (i as u64 / 4 + 1) as i16;
            let unit_no = format!("H{:02}{:02}", floor, i % 4 + 1);
            let rooms = kind.3 .0 + rng.below((kind.3 .1 - kind.3 .0 + 1) as u64) as i16;
            let area = (rooms as i32 * 180 + 120 + rng.below(150) as i32).clamp(100, 4000);
            let id = Uuid::now_v7();
            let registered = today - Duration::days(400 + rng.below(2500) as i64);
            let condition = match rng.below(100) {
                0..=47 => Some(Condition::Good),
                48..=77 => Some(Condition::Fair),
                78..=89 => Some(Condition::Poor),
                90..=95 => Some(Condition::VeryPoor),
                _ => None,
            };
            let assessed = condition.map(|_| today - Duration::days(20 + rng.below(900) as i64));
            let roll = rng.below(100);
            let (status, since, expected) = match roll {
                0..=5 => (
                    Status::Vacant,
                    today - Duration::days(rng.below(90) as i64),
                    None,
                ),
                6..=9 => (
                    Status::NoticeGiven,
                    today - Duration::days(rng.below(30) as i64),
                    Some(today + Duration::days(5 + rng.below(150) as i64)),
                ),
                10..=11 => (
                    Status::Reserved,
                    today - Duration::days(rng.below(14) as i64),
                    None,
                ),
                12..=13 => (
                    Status::Maintenance,
                    today - Duration::days(rng.below(60) as i64),
                    Some(today + Duration::days(10 + rng.below(200) as i64)),
                ),
                14 if matches!(condition, Some(Condition::VeryPoor)) => (
                    Status::ToBeSold,
                    today - Duration::days(rng.below(100) as i64),
                    None,
                ),
                _ => (
                    Status::Let,
                    today - Duration::days(30 + rng.below(1500) as i64),
                    None,
                ),
            };
            // History: registered as let, then the moves that led to today's status.
            b.change(
                id,
                registered,
                None,
                Status::Let,
                "Registrert fra tidligere boligliste",
            );
            match status {
                Status::Let if since > registered => {
                    let out = since - Duration::days(10 + rng.below(40) as i64);
                    if out > registered {
                        b.change(
                            id,
                            out,
                            Some(Status::Let),
                            Status::Vacant,
                            "Leietaker flyttet ut",
                        );
                        b.change(
                            id,
                            since,
                            Some(Status::Vacant),
                            Status::Let,
                            "Ny leiekontrakt",
                        );
                    }
                }
                Status::Let => {}
                Status::Vacant | Status::Maintenance | Status::NoticeGiven => {
                    let why = match status {
                        Status::Vacant => "Leietaker flyttet ut",
                        Status::Maintenance => "Oppussing etter utflytting",
                        _ => "Leietaker har sagt opp",
                    };
                    b.change(id, since.max(registered), Some(Status::Let), status, why);
                }
                Status::Reserved | Status::ToBeSold => {
                    let out = since - Duration::days(5 + rng.below(20) as i64);
                    b.change(
                        id,
                        out.max(registered),
                        Some(Status::Let),
                        Status::Vacant,
                        "Leietaker flyttet ut",
                    );
                    b.change(
                        id,
                        since.max(registered),
                        Some(Status::Vacant),
                        status,
                        if status == Status::Reserved {
                            "Reservert for søker etter tildelingsmøte"
                        } else {
                            "Vedtak om salg"
                        },
                    );
                }
                Status::Sold => {}
            }
            if let (Some(c @ (Condition::Poor | Condition::VeryPoor)), Some(on)) =
                (condition, assessed)
            {
                b.a_dwelling.push(id);
                b.a_on.push(on);
                b.a_grade.push(c);
                b.a_findings.push(
                    rng.pick(&[
                        "Fuktskade på bad",
                        "Slitte gulv og kjøkken",
                        "Vinduer trekker, dårlig isolasjon",
                        "Råte i yttervegg",
                    ])
                    .to_string(),
                );
                b.a_action.push(
                    rng.pick(&[
                        "Rehabilitering av bad",
                        "Nytt kjøkken og gulv",
                        "Skifte vinduer",
                        "Vurdere salg",
                    ])
                    .to_string(),
                );
                b.a_cost
                    .push(Some((50_000 + rng.below(400_000) as i64) * 100));
            }
            b.d_id.push(id);
            b.d_property.push(pid);
            b.d_number.push(unit_no);
            b.d_type.push(type_id(kind.0));
            b.d_rooms.push(rooms);
            b.d_area.push(area);
            b.d_floor.push(Some(floor));
            b.d_wheelchair
                .push(care || (floor == 1 && rng.below(4) == 0));
            b.d_staff
                .push(kind.0 == "Omsorgsbolig med heldøgns omsorg" || kind.0 == "Bofellesskap");
            b.d_rent.push(Some(
                (5_500 + rooms as i64 * 1_500 + rng.below(20) as i64 * 100) * 100,
            ));
            b.d_condition.push(condition);
            b.d_assessed.push(assessed);
            b.d_status.push(status);
            b.d_since.push(since);
            b.d_expected.push(expected);
            made += 1;
        }
    }
}

async fn write(conn: &mut PgConnection, m: Uuid, b: &Batch) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO properties (municipality_id, id, name, street_address, postcode, postal_place, area_id,
                owner_type, owner_name, agreement_ends, has_lift, gnr, bnr)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
                $8::property_owner_type[], $9::text[], $10::date[], $11::bool[], $12::int4[], $13::int4[])",
    )
    .bind(m)
    .bind(&b.p_id)
    .bind(&b.p_name)
    .bind(&b.p_street)
    .bind(&b.p_postcode)
    .bind(&b.p_place)
    .bind(&b.p_area)
    .bind(&b.p_owner)
    .bind(&b.p_owner_name)
    .bind(&b.p_ends)
    .bind(&b.p_lift)
    .bind(&b.p_gnr)
    .bind(&b.p_bnr)
    .execute(&mut *conn)
    .await?;
    for chunk in (0..b.d_id.len()).collect::<Vec<_>>().chunks(20_000) {
        let r = chunk[0]..chunk[chunk.len() - 1] + 1;
        sqlx::query(
            "INSERT INTO dwellings (municipality_id, id, property_id, unit_number, dwelling_type_id, rooms,
                    area_m2, floor, wheelchair_accessible, staff_base, monthly_rent, condition,
                    condition_assessed_on, status, status_since, expected_vacant_from)
             SELECT $1, id, pid, no, t, rooms, area::numeric / 10, floor, wc, staff, rent, cond, assessed,
                    status, since, expected
               FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::int2[], $7::int4[], $8::int2[],
                    $9::bool[], $10::bool[], $11::int8[], $12::dwelling_condition[], $13::date[],
                    $14::dwelling_status[], $15::date[], $16::date[])
                    AS x(id, pid, no, t, rooms, area, floor, wc, staff, rent, cond, assessed, status, since, expected)",
        )
        .bind(m)
        .bind(&b.d_id[r.clone()])
        .bind(&b.d_property[r.clone()])
        .bind(&b.d_number[r.clone()])
        .bind(&b.d_type[r.clone()])
        .bind(&b.d_rooms[r.clone()])
        .bind(&b.d_area[r.clone()])
        .bind(&b.d_floor[r.clone()])
        .bind(&b.d_wheelchair[r.clone()])
        .bind(&b.d_staff[r.clone()])
        .bind(&b.d_rent[r.clone()])
        .bind(&b.d_condition[r.clone()])
        .bind(&b.d_assessed[r.clone()])
        .bind(&b.d_status[r.clone()])
        .bind(&b.d_since[r.clone()])
        .bind(&b.d_expected[r])
        .execute(&mut *conn)
        .await?;
    }
    for chunk in (0..b.c_dwelling.len()).collect::<Vec<_>>().chunks(20_000) {
        let r = chunk[0]..chunk[chunk.len() - 1] + 1;
        let ids: Vec<Uuid> = r.clone().map(|_| Uuid::now_v7()).collect();
        sqlx::query(
            "INSERT INTO dwelling_status_changes (municipality_id, id, dwelling_id, changed_at, effective_on,
                    from_status, to_status, reason)
             SELECT $1, id, d, on_date::timestamptz + interval '9 hours', on_date, f, t, why
               FROM unnest($2::uuid[], $3::uuid[], $4::date[], $5::dwelling_status[], $6::dwelling_status[], $7::text[])
                    AS x(id, d, on_date, f, t, why)",
        )
        .bind(m)
        .bind(&ids)
        .bind(&b.c_dwelling[r.clone()])
        .bind(&b.c_on[r.clone()])
        .bind(&b.c_from[r.clone()])
        .bind(&b.c_to[r.clone()])
        .bind(&b.c_reason[r])
        .execute(&mut *conn)
        .await?;
    }
    let ids: Vec<Uuid> = b.a_dwelling.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "INSERT INTO dwelling_assessments (municipality_id, id, dwelling_id, assessed_on, grade, findings,
                planned_action, cost_estimate)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::date[], $5::dwelling_condition[], $6::text[],
                $7::text[], $8::int8[])",
    )
    .bind(m)
    .bind(&ids)
    .bind(&b.a_dwelling)
    .bind(&b.a_on)
    .bind(&b.a_grade)
    .bind(&b.a_findings)
    .bind(&b.a_action)
    .bind(&b.a_cost)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn seed_one(
    conn: &mut PgConnection,
    m: Uuid,
    number: &str,
    units: usize,
    scale: bool,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    with_tenant(conn, m).await?;
    repo::ensure_defaults(conn, m).await?;
    let areas: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM areas WHERE municipality_id = $1 ORDER BY name")
            .bind(m)
            .fetch_all(&mut *conn)
            .await?;
    let types: Vec<(String, Uuid)> =
        sqlx::query_as("SELECT name, id FROM dwelling_types WHERE municipality_id = $1")
            .bind(m)
            .fetch_all(&mut *conn)
            .await?;
    let seed = number.parse::<u64>().unwrap_or(1) * 2_654_435_761 + 17;
    let mut rng = Rng(seed);
    let mut b = Batch::default();
    generate(
        &mut b, &mut rng, number, units, &areas, &types, today, scale,
    );
    write(conn, m, &b).await
}

pub async fn demo(
    conn: &mut PgConnection,
    municipalities: &[(Uuid, String, String)],
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    for (id, number, _) in municipalities {
        let units = match number.as_str() {
            "5037" => 140,
            "5038" => 110,
            _ => 120,
        };
        seed_one(conn, *id, number, units, false, today).await?;
    }
    Ok(())
}

/// 12 000 units per factor, spread evenly over the municipalities.
pub async fn scale(
    conn: &mut PgConnection,
    municipalities: &[Uuid],
    factor: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    if municipalities.is_empty() {
        return Ok(());
    }
    let total = 12_000 * factor.max(1) as usize;
    let each = total / municipalities.len();
    for (i, m) in municipalities.iter().enumerate() {
        seed_one(conn, *m, &format!("{}", 9001 + i), each, true, today).await?;
    }
    Ok(())
}
