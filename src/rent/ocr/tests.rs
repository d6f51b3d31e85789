use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// A file laid out by hand from the specification's record tables: one assignment with a
/// giro payment with KID (type 10), an online payment with a message and no KID (type 21,
/// amount item 3, Norwegian letters) and a reversal with KID (type 18, sign `-`).
const REFERENCE: &str = concat!(
    "NY000010000080800170031000102000000000000000000000000000000000000000000000000000\n",
    "NY090020001008566000000299991042764000000000000000000000000000000000000000000000\n",
    "NY09103000000012001271320101464000000000000102000              12345678903000000\n",
    "NY091031000000197975960160975960160000000160127999910055240000000000000000000000\n",
    "NY09213000000022101271321101465000000000000056000                         000000\n",
    "NY092131000000200000000000000001230000000000000000000000000000000000000000000000\n",
    "NY0921320000002Husleie januar, Ærlig Øst               0000000000000000000000000\n",
    "NY09183000000032101271321200007-00000000000010000              12345678903000000\n",
    "NY091831000000300000000000000001240000000210127000000000000000000000000000000000\n",
    "NY090088000000030000000900000000000148000210127200127210127000000000000000000000\n",
    "NY000089000000030000001100000000000148000210127000000000000000000000000000000000\n",
);

fn cp1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

fn reference() -> Transmission {
    Transmission {
        number: "0170031".into(),
        data_sender: "00008080".into(),
        data_recipient: "00010200".into(),
        settled_on: d(2027, 1, 21),
        assignments: vec![Assignment {
            agreement_id: "001008566".into(),
            number: "0000002".into(),
            account: "99991042764".into(),
            settled_on: d(2027, 1, 21),
            transactions: vec![
                Transaction {
                    number: 1,
                    transaction_type: 10,
                    settled_on: d(2027, 1, 20),
                    centre_id: 13,
                    day_code: 20,
                    partial_settlement: 1,
                    serial_number: 1464,
                    amount_ore: 102_000,
                    kid: Some("12345678903".into()),
                    form_number: "9797596016".into(),
                    archive_reference: "097596016".into(),
                    ordered_on: Some(d(2027, 1, 16)),
                    payer_account: Some("99991005524".into()),
                    free_text: None,
                },
                Transaction {
                    number: 2,
                    transaction_type: 21,
                    settled_on: d(2027, 1, 21),
                    centre_id: 13,
                    day_code: 21,
                    partial_settlement: 1,
                    serial_number: 1465,
                    amount_ore: 56_000,
                    kid: None,
                    form_number: "0000000000".into(),
                    archive_reference: "000000123".into(),
                    ordered_on: None,
                    payer_account: None,
                    free_text: Some("Husleie januar, Ærlig Øst".into()),
                },
                Transaction {
                    number: 3,
                    transaction_type: 18,
                    settled_on: d(2027, 1, 21),
                    centre_id: 13,
                    day_code: 21,
                    partial_settlement: 2,
                    serial_number: 7,
                    amount_ore: -10_000,
                    kid: Some("12345678903".into()),
                    form_number: "0000000000".into(),
                    archive_reference: "000000124".into(),
                    ordered_on: Some(d(2027, 1, 21)),
                    payer_account: None,
                    free_text: None,
                },
            ],
        }],
    }
}

#[test]
fn parses_every_field_of_a_file_laid_out_by_the_specification() {
    let parsed = parse(&cp1252(REFERENCE)).expect("valid file");
    assert_eq!(parsed, reference());
}

#[test]
fn writes_the_specification_layout_byte_for_byte() {
    let written = write(&reference()).expect("writable");
    assert_eq!(written, cp1252(REFERENCE));
}

#[test]
fn accepts_crlf_no_trailing_newline_utf8_and_an_end_of_file_mark() {
    let want = reference();
    let crlf = REFERENCE.replace('\n', "\r\n");
    assert_eq!(parse(&cp1252(&crlf)).as_ref(), Ok(&want));
    assert_eq!(parse(&cp1252(REFERENCE.trim_end())).as_ref(), Ok(&want));
    assert_eq!(parse(REFERENCE.as_bytes()).as_ref(), Ok(&want), "UTF-8");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(REFERENCE.as_bytes());
    assert_eq!(parse(&bom).as_ref(), Ok(&want), "UTF-8 with BOM");
    let mut dos = cp1252(&crlf);
    dos.extend_from_slice(b"\r\n\x1a");
    assert_eq!(
        parse(&dos).as_ref(),
        Ok(&want),
        "trailing blank line and EOF mark"
    );
}

#[test]
fn data_in_the_filler_of_amount_item_2_is_not_judged() {
    // Bank files have been seen with digits in positions 35–41 of amount item 2.
    let file = REFERENCE.replace(
        "NY091031000000197975960160975960160000000",
        "NY091031000000197975960160975960161883206",
    );
    assert_eq!(parse(&cp1252(&file)), Ok(reference()));
}

#[test]
fn the_content_hash_ignores_line_endings_and_encoding() {
    let a = content_hash(&cp1252(REFERENCE));
    assert_eq!(a, content_hash(&cp1252(&REFERENCE.replace('\n', "\r\n"))));
    assert_eq!(a, content_hash(REFERENCE.as_bytes()));
    assert_eq!(a, content_hash(&cp1252(REFERENCE.trim_end())));
    let other = REFERENCE.replace("0170031", "0170032");
    assert_ne!(a, content_hash(&cp1252(&other)));
}

/// The reference file with line `n` (1-based) replaced.
fn with_line(n: usize, new: &str) -> Vec<u8> {
    let mut lines: Vec<&str> = REFERENCE.lines().collect();
    lines[n - 1] = new;
    cp1252(&(lines.join("\n") + "\n"))
}

/// The reference file with positions `from..=to` (1-based) of line `n` replaced by `with`.
fn patched(n: usize, from: usize, with: &str) -> Vec<u8> {
    let line: Vec<char> = REFERENCE
        .lines()
        .nth(n - 1)
        .expect("line")
        .chars()
        .collect();
    let mut s: String = line[..from - 1].iter().collect();
    s.push_str(with);
    s.extend(line[from - 1 + with.chars().count()..].iter());
    assert_eq!(s.chars().count(), 80);
    with_line(n, &s)
}

fn without_line(n: usize) -> Vec<u8> {
    let lines: Vec<&str> = REFERENCE
        .lines()
        .enumerate()
        .filter(|(i, _)| i + 1 != n)
        .map(|(_, l)| l)
        .collect();
    cp1252(&(lines.join("\n") + "\n"))
}

#[track_caller]
fn refused(bytes: &[u8], line: usize, reason: &str) {
    match parse(bytes) {
        Ok(_) => panic!("accepted, expected line {line}: {reason}"),
        Err(e) => {
            assert_eq!(e.line, line, "{e}");
            assert!(e.reason.contains(reason), "{e} does not say {reason:?}");
            assert!(e.to_string().starts_with(&format!("Linje {line}: ")));
        }
    }
}

#[test]
fn refuses_records_of_the_wrong_length_or_format() {
    refused(b"", 1, "filen er tom");
    refused(b"\r\n\r\n", 1, "filen er tom");
    let line3 = REFERENCE.lines().nth(2).expect("line 3");
    refused(&with_line(3, &line3[..79]), 3, "linjen har 79 tegn");
    refused(&with_line(3, &format!("{line3}0")), 3, "linjen har 81 tegn");
    refused(
        &patched(3, 1, "XY"),
        3,
        "formatkoden i posisjon 1–2 skal være «NY»",
    );
    refused(&patched(3, 7, "33"), 3, "ukjent recordtype «33»");
    refused(&patched(1, 7, "11"), 1, "ukjent recordtype «11»");
    refused(&patched(2, 3, "21"), 2, "tjenestekode «21»");
    refused(&patched(2, 5, "24"), 2, "oppdragstype i posisjon 5–6");
    refused(&patched(1, 5, "01"), 1, "forsendelsestype i posisjon 5–6");
    refused(&patched(3, 40, "\t"), 3, "kontrolltegn i posisjon 40");
}

#[test]
fn refuses_records_out_of_order() {
    refused(
        &without_line(1),
        1,
        "filen skal begynne med startrecord for forsendelse",
    );
    refused(
        &without_line(2),
        2,
        "ventet startrecord for oppdrag (NY090020)",
    );
    refused(
        &without_line(4),
        4,
        "ventet beløpspost 2 (recordtype 31) for transaksjon 1",
    );
    refused(
        &without_line(10),
        10,
        "ventet beløpspost 1 (recordtype 30) eller sluttrecord for oppdrag",
    );
    refused(
        &without_line(11),
        10,
        "filen slutter før startrecord for oppdrag",
    );
    let truncated: String = REFERENCE.lines().take(5).collect::<Vec<_>>().join("\n");
    refused(
        &cp1252(&truncated),
        5,
        "filen slutter før beløpspost 2 (recordtype 31) for transaksjon 2",
    );
    let mut after = REFERENCE.to_string();
    after.push_str(REFERENCE.lines().next().expect("line 1"));
    refused(
        &cp1252(&after),
        12,
        "kommer etter sluttrecord for forsendelse",
    );
    let blank = REFERENCE.replacen("\nNY090020", "\n\nNY090020", 1);
    refused(&cp1252(&blank), 2, "tom linje midt i filen");
}

#[test]
fn refuses_items_that_do_not_pair() {
    refused(
        &patched(4, 9, "0000009"),
        4,
        "beløpspost 2 (recordtype 31) har transaksjonsnummer 9, men beløpspost 1 før den har 1",
    );
    refused(
        &patched(4, 5, "11"),
        4,
        "har transaksjonstype 11, men beløpspost 1 før den har 10",
    );
    refused(
        &patched(7, 9, "0000003"),
        7,
        "beløpspost 3 (recordtype 32) har transaksjonsnummer 3",
    );
    // Amount item 3 after a type that has no free text.
    let item3 = REFERENCE
        .lines()
        .nth(6)
        .expect("line 7")
        .replacen("NY0921", "NY0910", 1)
        .replacen("0000002", "0000001", 1);
    let mut lines: Vec<&str> = REFERENCE.lines().collect();
    lines.insert(4, &item3);
    refused(
        &cp1252(&(lines.join("\n") + "\n")),
        5,
        "hører bare til transaksjonstype 20 og 21",
    );
    // The same transaction number twice in an assignment.
    let file = REFERENCE
        .replacen("NY0921300000002", "NY0921300000001", 1)
        .replacen("NY0921310000002", "NY0921310000001", 1)
        .replacen("NY0921320000002", "NY0921320000001", 1);
    refused(
        &cp1252(&file),
        5,
        "transaksjonsnummer 1 er brukt før i samme oppdrag (linje 3)",
    );
}

#[test]
fn refuses_malformed_fields() {
    refused(
        &patched(3, 40, "12a"),
        3,
        "Beløp i posisjon 33–49 skal bare ha sifre",
    );
    refused(
        &patched(3, 16, "310227"),
        3,
        "Oppgjørsdato i posisjon 16–21 er ikke en gyldig dato",
    );
    refused(
        &patched(3, 16, "000000"),
        3,
        "Oppgjørsdato i posisjon 16–21 mangler",
    );
    refused(
        &patched(4, 42, "301327"),
        4,
        "Oppdragsdato i posisjon 42–47 er ikke en gyldig dato",
    );
    refused(
        &patched(3, 5, "22"),
        3,
        "transaksjonstype 22 i posisjon 5–6 finnes ikke",
    );
    refused(
        &patched(3, 5, "09"),
        3,
        "transaksjonstype 09 i posisjon 5–6 finnes ikke",
    );
    refused(
        &patched(3, 32, "+"),
        3,
        "fortegnet i posisjon 32 skal være «0» eller «-»",
    );
    refused(
        &patched(3, 9, "00 0001"),
        3,
        "Transaksjonsnummer i posisjon 9–15",
    );
    refused(
        &patched(4, 48, "9999100552X"),
        4,
        "Debetkonto i posisjon 48–58",
    );
    refused(
        &patched(4, 26, "09759601 "),
        4,
        "Arkivreferanse i posisjon 26–34",
    );
    refused(
        &patched(2, 25, "9999104276 "),
        2,
        "Oppdragskonto i posisjon 25–35",
    );
    refused(
        &patched(1, 17, "017003 "),
        1,
        "Forsendelsesnummer i posisjon 17–23",
    );
    refused(
        &patched(11, 42, "000000"),
        11,
        "Oppgjørsdato i posisjon 42–47 mangler",
    );
}

#[test]
fn refuses_end_records_that_do_not_add_up() {
    refused(
        &patched(10, 9, "00000004"),
        10,
        "sluttrecord for oppdrag oppgir 4 transaksjoner, men oppdraget har 3",
    );
    refused(
        &patched(10, 17, "00000008"),
        10,
        "oppgir 8 records, men oppdraget har 9",
    );
    refused(
        &patched(10, 25, "00000000000148001"),
        10,
        "oppgir sum 1\u{a0}480,01\u{a0}kr, men transaksjonene summerer til 1\u{a0}480,00\u{a0}kr",
    );
    refused(&patched(10, 48, "190127"), 10, "første oppgjørsdato i posisjon 48–53 er 19.01.2027, men den tidligste transaksjonen er fra 20.01.2027");
    refused(
        &patched(10, 54, "000000"),
        10,
        "siste oppgjørsdato i posisjon 54–59 er tom (000000)",
    );
    refused(
        &patched(11, 9, "00000002"),
        11,
        "sluttrecord for forsendelse oppgir 2 transaksjoner, men filen har 3",
    );
    refused(
        &patched(11, 17, "00000012"),
        11,
        "oppgir 12 records, men filen har 11",
    );
    refused(
        &patched(11, 25, "00000000000168000"),
        11,
        "oppgir sum 1\u{a0}680,00\u{a0}kr",
    );
    // A changed amount is caught by the sum of the assignment even when it stays valid.
    refused(
        &patched(3, 33, "00000000000102001"),
        10,
        "sluttrecord for oppdrag oppgir sum",
    );
    // The sign counts: a reversal written as a payment no longer adds up.
    refused(
        &patched(8, 32, "0"),
        10,
        "men transaksjonene summerer til 1\u{a0}680,00\u{a0}kr",
    );
}

#[test]
fn the_writer_refuses_what_cannot_be_a_valid_file() {
    let mut t = reference();
    t.assignments[0].transactions[1].free_text = Some("x".repeat(41));
    assert!(write(&t).is_err());
    let mut t = reference();
    t.assignments[0].transactions[0].free_text = Some("tekst".into());
    assert!(write(&t).is_err(), "type 10 has no free text");
    let mut t = reference();
    t.assignments[0].transactions[0].kid = Some(" 123".into());
    assert!(write(&t).is_err());
    let mut t = reference();
    t.assignments[0].transactions[0].amount_ore = -200_000;
    assert!(write(&t).is_err(), "negative sum");
    let mut t = reference();
    t.assignments[0].transactions[0].settled_on = d(1999, 12, 31);
    assert!(write(&t).is_err());
    let mut t = reference();
    t.assignments[0].transactions[0].number = 10_000_000;
    assert!(write(&t).is_err());
    let mut t = reference();
    t.assignments[0].account = "1234".into();
    assert!(write(&t).is_err());
    let mut t = reference();
    t.assignments[0].transactions[1].free_text = Some("Husleie \u{4e00}".into());
    assert!(write(&t).is_err(), "not in Windows-1252");
}

/// Many assignments of many transactions, as a bank would send them.
pub(crate) fn big(n: u32) -> Transmission {
    let per_assignment = 25_000;
    let mut assignments = Vec::new();
    let mut left = n;
    let mut a = 0;
    while left > 0 {
        let count = left.min(per_assignment);
        left -= count;
        a += 1;
        assignments.push(Assignment {
            agreement_id: "001008566".into(),
            number: format!("{a:07}"),
            account: "12345678903".into(),
            settled_on: d(2027, 2, 1),
            transactions: (1..=count)
                .map(|i| Transaction {
                    number: i,
                    transaction_type: if i % 7 == 0 { 21 } else { 10 },
                    settled_on: d(2027, 1, 1 + (i % 28)),
                    centre_id: 13,
                    day_code: (1 + i % 28) as u8,
                    partial_settlement: 1,
                    serial_number: i % 100_000,
                    amount_ore: 500_000 + (i as i64 % 1000) * 100,
                    kid: (i % 7 != 0).then(|| format!("{:010}", i as u64 * 7 + a)),
                    form_number: "0000000000".into(),
                    archive_reference: format!("{:09}", i),
                    ordered_on: None,
                    payer_account: Some("98765432109".into()),
                    free_text: (i % 7 == 0).then(|| format!("Husleie for leilighet {i}")),
                })
                .collect(),
        });
    }
    Transmission {
        number: "0000001".into(),
        data_sender: "00008080".into(),
        data_recipient: "00010200".into(),
        settled_on: d(2027, 2, 1),
        assignments,
    }
}

/// 100 000 payment lines. Asserts nothing about time: the time is measured with
/// `cargo test --release --lib rent::ocr::tests::parses_100_000_transactions -- --nocapture`.
#[test]
fn parses_100_000_transactions() {
    let t = big(100_000);
    let bytes = write(&t).expect("writable");
    let started = std::time::Instant::now();
    let parsed = parse(&bytes).expect("valid");
    let elapsed = started.elapsed();
    eprintln!(
        "parsed {} bytes, 100 000 transactions in {:?}",
        bytes.len(),
        elapsed
    );
    let count: usize = parsed
        .assignments
        .iter()
        .map(|a| a.transactions.len())
        .sum();
    assert_eq!(count, 100_000);
    assert_eq!(parsed.assignments.len(), 4);
    assert_eq!(parsed, t);
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (2000i32..=2099, 1u32..=12, 1u32..=31).prop_map(|(y, m, day)| {
        NaiveDate::from_ymd_opt(y, m, day)
            .or_else(|| NaiveDate::from_ymd_opt(y, m, 28))
            .expect("day 28 exists")
    })
}

fn arb_digits(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len)
        .prop_map(|v| v.into_iter().map(|x| (b'0' + x) as char).collect())
}

fn arb_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ÆØÅæøå.,:;/()+-][A-Za-z0-9ÆØÅæøå .,:;/()+-]{0,38}[A-Za-z0-9ÆØÅæøå.,]"
}

fn arb_transaction() -> impl Strategy<Value = Transaction> {
    (
        (
            10u8..=21,
            arb_date(),
            0u8..100,
            0u8..100,
            0u8..10,
            0u32..100_000,
        ),
        (
            -1_000_000_000i64..10_000_000_000,
            proptest::option::of("[0-9]{1,25}"),
            arb_digits(10),
            arb_digits(9),
            proptest::option::of(arb_date()),
            proptest::option::of("[1-9][0-9]{10}"),
            proptest::option::of(arb_text()),
        ),
    )
        .prop_map(
            |(
                (
                    transaction_type,
                    settled_on,
                    centre_id,
                    day_code,
                    partial_settlement,
                    serial_number,
                ),
                (
                    amount_ore,
                    kid,
                    form_number,
                    archive_reference,
                    ordered_on,
                    payer_account,
                    free_text,
                ),
            )| Transaction {
                number: 0,
                transaction_type,
                settled_on,
                centre_id,
                day_code,
                partial_settlement,
                serial_number,
                amount_ore,
                kid,
                form_number,
                archive_reference,
                ordered_on,
                payer_account,
                free_text: free_text.filter(|_| has_free_text(transaction_type)),
            },
        )
}

fn arb_transmission() -> impl Strategy<Value = Transmission> {
    let assignment = (
        arb_digits(9),
        arb_digits(7),
        arb_digits(11),
        arb_date(),
        proptest::collection::vec(arb_transaction(), 0..12),
        proptest::collection::vec(1u32..1000, 12),
    )
        .prop_map(
            |(agreement_id, number, account, settled_on, mut transactions, gaps)| {
                // Transaction numbers rise, with gaps.
                let mut n = 0;
                for (t, gap) in transactions.iter_mut().zip(gaps) {
                    n += gap;
                    t.number = n;
                }
                // The sum of an assignment is never negative.
                let sum: i64 = transactions.iter().map(|t| t.amount_ore).sum();
                if sum < 0 {
                    if let Some(t) = transactions.first_mut() {
                        t.amount_ore -= sum;
                        if t.amount_ore < 0 {
                            t.amount_ore = -t.amount_ore;
                        }
                    }
                }
                Assignment {
                    agreement_id,
                    number,
                    account,
                    settled_on,
                    transactions,
                }
            },
        );
    (
        arb_digits(7),
        arb_digits(8),
        arb_digits(8),
        arb_date(),
        proptest::collection::vec(assignment, 0..4),
    )
        .prop_map(
            |(number, data_sender, data_recipient, settled_on, assignments)| Transmission {
                number,
                data_sender,
                data_recipient,
                settled_on,
                assignments,
            },
        )
        .prop_filter("assignment sums stay non-negative", |t| {
            t.assignments
                .iter()
                .all(|a| a.transactions.iter().map(|x| x.amount_ore).sum::<i64>() >= 0)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn parse_reads_back_what_write_wrote(t in arb_transmission()) {
        let bytes = write(&t).expect("writable");
        prop_assert_eq!(parse(&bytes), Ok(t.clone()));
        // The same with CRLF and without the final newline.
        let text = decode(&bytes).replace('\n', "\r\n");
        prop_assert_eq!(parse(&cp1252(text.trim_end())), Ok(t));
    }

    #[test]
    fn any_changed_amount_digit_is_refused(t in arb_transmission(), pick in any::<prop::sample::Index>(), digit in 0u8..10) {
        let bytes = write(&t).expect("writable");
        let text = decode(&bytes).into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let items: Vec<usize> = lines.iter().enumerate()
            .filter(|(_, l)| l.starts_with("NY09") && &l[6..8] == "30")
            .map(|(i, _)| i).collect();
        prop_assume!(!items.is_empty());
        let i = items[pick.index(items.len())];
        let pos = 32 + (digit as usize % 17);
        let old = lines[i].as_bytes()[pos];
        let new = if old == b'9' { b'0' } else { old + 1 };
        let mut b = lines[i].clone().into_bytes();
        b[pos] = new;
        lines[i] = String::from_utf8(b).expect("ascii");
        let e = parse(&cp1252(&(lines.join("\n") + "\n"))).expect_err("a changed amount must not add up");
        prop_assert!(e.reason.contains("sum"), "{}", e);
    }

    #[test]
    fn a_truncated_file_is_refused(t in arb_transmission(), cut in any::<prop::sample::Index>()) {
        let bytes = write(&t).expect("writable");
        let text = decode(&bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let keep = cut.index(lines.len());
        let e = parse(&cp1252(&lines[..keep].join("\n")));
        prop_assert!(e.is_err());
        prop_assert!(e.expect_err("refused").line <= keep.max(1));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_damaged_files(t in arb_transmission(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = write(&t).expect("writable");
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Err(e) = parse(&bytes) {
            prop_assert!(e.line >= 1);
        }
    }
}

#[test]
fn each_assignment_is_checked_against_its_own_end_record() {
    let mut t = reference();
    let mut second = t.assignments[0].clone();
    second.number = "0000003".into();
    second.transactions.truncate(1);
    t.assignments.push(second);
    let text = decode(&write(&t).expect("writable")).into_owned();
    assert_eq!(parse(&cp1252(&text)), Ok(t.clone()));
    let lines: Vec<&str> = text.lines().collect();
    // Line 14 is the second assignment's end: 1 transaction of 1 020,00 kr.
    assert!(lines[13].starts_with("NY090088000000010000000400000000000102000"));
    let wrong = text.replacen(
        "NY090088000000010000000400000000000102000",
        "NY090088000000010000000400000000000148000",
        1,
    );
    refused(
        &cp1252(&wrong),
        14,
        "sluttrecord for oppdrag oppgir sum 1\u{a0}480,00\u{a0}kr",
    );
    // The transmission's end counts both assignments: 4 transactions, 15 records.
    assert!(lines[14].starts_with("NY00008900000004000000150000000000025000"));
}
