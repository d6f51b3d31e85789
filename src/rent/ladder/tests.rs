use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn case(history: &[(Step, NaiveDate)]) -> Case {
    Case {
        history: history.iter().map(|(s, on)| Taken::new(*s, *on)).collect(),
        outstanding_ore: 1_700_000,
        oldest_unpaid_due: Some(d(2027, 1, 1)),
        nav_refused_on: None,
        plan: None,
    }
}

#[track_caller]
fn too_early(c: &Case, step: Step, on: NaiveDate, earliest: NaiveDate, rule: &str) {
    let e = check(c, &Taken::new(step, on), &Rules::default()).expect_err("too early");
    assert_eq!(e.earliest, Some(earliest), "{e}");
    assert_eq!(e.rule, rule, "{e}");
    assert!(e.message.starts_with("For tidlig: "), "{e}");
    assert!(e.message.contains(&date_text(earliest)), "{e}");
    assert!(e.message.contains(rule), "{e}");
    // The earliest date itself is accepted.
    check(c, &Taken::new(step, earliest), &Rules::default()).expect("on the earliest date");
    assert_eq!(earliest_of(c, step), earliest);
}

fn earliest_of(c: &Case, step: Step) -> NaiveDate {
    earliest(c, step, &Rules::default()).expect("available")
}

#[test]
fn a_case_walks_the_ladder_and_each_step_too_early_is_refused() {
    let mut c = case(&[]);
    too_early(&c, Step::Reminder, d(2027, 1, 1), d(2027, 1, 2), ROUTINE);
    c.history.push(Taken::new(Step::Reminder, d(2027, 1, 5)));
    too_early(&c, Step::Contact, d(2027, 1, 4), d(2027, 1, 5), ROUTINE);
    too_early(&c, Step::NavNotice, d(2027, 1, 18), d(2027, 1, 19), ROUTINE);
    too_early(&c, Step::Warning, d(2027, 1, 10), d(2027, 1, 19), ROUTINE);
    c.history.push(Taken::new(Step::NavNotice, d(2027, 1, 20)));
    c.history.push(Taken::new(Step::Warning, d(2027, 2, 1)));
    // Warning + 14 days (§ 4-18) binds: the NAV notice was 12 days earlier.
    too_early(
        &c,
        Step::EnforcementRequest,
        d(2027, 2, 14),
        d(2027, 2, 15),
        TVFBL_4_18,
    );
    c.history
        .push(Taken::new(Step::EnforcementRequest, d(2027, 2, 15)));
    too_early(
        &c,
        Step::EvictionDate,
        d(2027, 2, 20),
        d(2027, 3, 1),
        TVFBL_13_6,
    );
    c.history
        .push(Taken::new(Step::EvictionDate, d(2027, 3, 10)));
    too_early(
        &c,
        Step::CarriedOut,
        d(2027, 3, 9),
        d(2027, 3, 10),
        TVFBL_13_6,
    );
    c.history.push(Taken::new(Step::CarriedOut, d(2027, 3, 10)));
    let e = check(
        &c,
        &Taken::new(Step::Reminder, d(2027, 4, 1)),
        &Rules::default(),
    )
    .expect_err("ended");
    assert!(e.message.contains("Saken er avsluttet"), "{e}");
    assert!(next_steps(&c, &Rules::default()).is_empty());
}

#[test]
fn the_nav_notice_binds_the_request_when_it_came_after_the_warning() {
    let c = case(&[
        (Step::Reminder, d(2027, 1, 5)),
        (Step::Warning, d(2027, 2, 1)),
        (Step::NavNotice, d(2027, 2, 10)),
    ]);
    too_early(
        &c,
        Step::EnforcementRequest,
        d(2027, 2, 23),
        d(2027, 2, 24),
        HUSLEIELOVEN_9_11,
    );
    let e = check(
        &c,
        &Taken::new(Step::EnforcementRequest, d(2027, 2, 20)),
        &Rules::default(),
    )
    .expect_err("too early");
    assert!(e.message.contains("10.02.2027"), "{e}");
}

#[test]
fn the_request_needs_a_nav_notice_or_the_tenants_refusal() {
    let mut c = case(&[
        (Step::Reminder, d(2027, 1, 5)),
        (Step::Warning, d(2027, 2, 1)),
    ]);
    let e = earliest(&c, Step::EnforcementRequest, &Rules::default()).expect_err("no NAV");
    assert_eq!(e.rule, HUSLEIELOVEN_9_11);
    assert!(e.message.contains("NAV"), "{e}");
    let relaxed = Rules {
        require_nav_notice: false,
        ..Rules::default()
    };
    assert_eq!(
        earliest(&c, Step::EnforcementRequest, &relaxed),
        Ok(d(2027, 2, 15))
    );
    c.nav_refused_on = Some(d(2027, 1, 10));
    assert_eq!(earliest_of(&c, Step::EnforcementRequest), d(2027, 2, 15));
    // And once refused, a notice to NAV is refused.
    let e = check(
        &c,
        &Taken::new(Step::NavNotice, d(2027, 2, 1)),
        &Rules::default(),
    )
    .expect_err("refused by the tenant");
    assert!(e.message.contains("reserverte seg skriftlig"), "{e}");
}

#[test]
fn a_nav_notice_goes_to_the_tenant_too() {
    let c = case(&[(Step::Reminder, d(2027, 1, 5))]);
    let mut nav = Taken::new(Step::NavNotice, d(2027, 1, 20));
    assert_eq!(check(&c, &nav, &Rules::default()), Ok(()));
    nav.copy_to_tenant = false;
    let e = check(&c, &nav, &Rules::default()).expect_err("no copy");
    assert!(e.message.contains("kopi til leietakeren"), "{e}");
}

#[test]
fn a_step_without_the_one_before_it_is_refused() {
    let c = case(&[(Step::Reminder, d(2027, 1, 5))]);
    let e = check(
        &c,
        &Taken::new(Step::EnforcementRequest, d(2027, 6, 1)),
        &Rules::default(),
    )
    .expect_err("no warning");
    assert_eq!(e.earliest, None);
    assert!(
        e.message
            .contains("forutsetter at varsel etter tvangsfullbyrdelsesloven § 4-18"),
        "{e}"
    );
    let e = check(
        &case(&[]),
        &Taken::new(Step::Warning, d(2027, 6, 1)),
        &Rules::default(),
    )
    .expect_err("no reminder");
    assert!(e.message.contains("forutsetter at purring"), "{e}");
    let e = check(
        &c,
        &Taken::new(Step::CarriedOut, d(2027, 6, 1)),
        &Rules::default(),
    )
    .expect_err("no eviction date");
    assert!(e.message.contains("dato for utkastelse"), "{e}");
}

#[test]
fn payment_in_full_closes_the_case_at_any_step() {
    let mut c = case(&[
        (Step::Reminder, d(2027, 1, 5)),
        (Step::Warning, d(2027, 2, 1)),
    ]);
    c.outstanding_ore = 0;
    for step in Step::ALL {
        let e = earliest(&c, step, &Rules::default()).expect_err("paid");
        assert!(e.message.contains("betalt i sin helhet"), "{step:?}: {e}");
    }
    assert!(next_steps(&c, &Rules::default()).is_empty());
    // Paid after the request: the eviction is avoided, and can no longer be carried out.
    c.history.push(Taken::new(Step::NavNotice, d(2027, 1, 20)));
    c.history
        .push(Taken::new(Step::EnforcementRequest, d(2027, 2, 15)));
    c.history
        .push(Taken::new(Step::EvictionDate, d(2027, 3, 10)));
    assert_eq!(
        next_steps(&c, &Rules::default()),
        vec![Next {
            step: Step::Avoided,
            earliest: d(2027, 2, 15)
        }]
    );
    assert!(check(
        &c,
        &Taken::new(Step::CarriedOut, d(2027, 3, 10)),
        &Rules::default()
    )
    .is_err());
}

#[test]
fn a_kept_plan_holds_the_warning_and_a_broken_one_sets_its_earliest_date() {
    let mut c = case(&[(Step::Reminder, d(2027, 1, 5))]);
    c.plan = Some(PlanState::Kept);
    let e = earliest(&c, Step::Warning, &Rules::default()).expect_err("plan kept");
    assert!(e.message.contains("betalingsplanen overholdes"), "{e}");
    c.plan = Some(PlanState::Broken {
        on: d(2027, 3, 2),
        instalment_due: d(2027, 3, 1),
        missing_ore: 100_000,
    });
    too_early(&c, Step::Warning, d(2027, 3, 1), d(2027, 3, 2), ROUTINE);
    let e = check(
        &c,
        &Taken::new(Step::Warning, d(2027, 2, 1)),
        &Rules::default(),
    )
    .expect_err("early");
    assert!(
        e.message.contains("betalingsplanen ble brutt 02.03.2027"),
        "{e}"
    );
}

#[test]
fn next_steps_come_in_ladder_order_with_their_dates() {
    let c = case(&[(Step::Reminder, d(2027, 1, 5))]);
    let next = next_steps(&c, &Rules::default());
    assert_eq!(
        next,
        vec![
            Next {
                step: Step::Contact,
                earliest: d(2027, 1, 5)
            },
            Next {
                step: Step::NavNotice,
                earliest: d(2027, 1, 19)
            },
            Next {
                step: Step::PaymentPlan,
                earliest: d(2027, 1, 2)
            },
            Next {
                step: Step::Warning,
                earliest: d(2027, 1, 19)
            },
        ]
    );
    assert_eq!(c.current().map(|t| t.step), Some(Step::Reminder));
}

proptest! {
    /// For any history, a step is accepted exactly on and after its earliest date.
    #[test]
    fn check_accepts_exactly_from_the_earliest_date(
        gaps in proptest::collection::vec(0u64..40, 6),
        nav_first in any::<bool>(),
        probe in 0u64..120,
        which in 0usize..9,
    ) {
        let start = d(2027, 1, 1);
        let mut on = start;
        let mut history = Vec::new();
        let order = if nav_first {
            [Step::Reminder, Step::NavNotice, Step::Warning, Step::EnforcementRequest, Step::EvictionDate, Step::CarriedOut]
        } else {
            [Step::Reminder, Step::Warning, Step::NavNotice, Step::EnforcementRequest, Step::EvictionDate, Step::CarriedOut]
        };
        for (step, gap) in order.iter().zip(&gaps).take(which.min(5)) {
            on = plus(on, *gap);
            history.push((*step, on));
        }
        let c = case(&history);
        let step = Step::ALL[which];
        let taken = Taken::new(step, plus(start, probe));
        match earliest(&c, step, &Rules::default()) {
            Ok(e) => {
                let r = check(&c, &taken, &Rules::default());
                prop_assert_eq!(r.is_ok(), taken.on >= e, "{:?} {:?}", r, e);
            }
            Err(_) => prop_assert!(check(&c, &taken, &Rules::default()).is_err()),
        }
    }

    /// A request that is accepted is at least 14 days after the latest warning and the latest
    /// notice to NAV.
    #[test]
    fn an_accepted_request_respects_both_fourteen_day_rules(
        reminder in 0u64..30, warning in 0u64..60, nav in 0u64..60, request in 0u64..120,
    ) {
        let base = d(2027, 1, 2);
        let c = case(&[
            (Step::Reminder, plus(base, reminder)),
            (Step::Warning, plus(base, warning)),
            (Step::NavNotice, plus(base, nav)),
        ]);
        let on = plus(base, request);
        if check(&c, &Taken::new(Step::EnforcementRequest, on), &Rules::default()).is_ok() {
            prop_assert!(on >= plus(base, warning + 14));
            prop_assert!(on >= plus(base, nav + 14));
        } else {
            prop_assert!(on < plus(base, warning + 14) || on < plus(base, nav + 14));
        }
    }
}

// Payment plans

fn plan() -> PaymentPlan {
    PaymentPlan {
        agreed_on: d(2027, 3, 1),
        instalments: vec![
            Instalment {
                due: d(2027, 3, 20),
                amount_ore: 300_000,
            },
            Instalment {
                due: d(2027, 4, 20),
                amount_ore: 300_000,
            },
            Instalment {
                due: d(2027, 5, 20),
                amount_ore: 200_000,
            },
        ],
    }
}

#[test]
fn a_plan_paid_on_time_is_kept_then_completed() {
    let r = Rules::default();
    let paid = [(d(2027, 3, 20), 300_000), (d(2027, 4, 19), 300_000)];
    assert_eq!(
        plan_state(&plan(), &paid, d(2027, 5, 1), &r),
        PlanState::Kept
    );
    let all = [
        (d(2027, 3, 20), 300_000),
        (d(2027, 4, 19), 300_000),
        (d(2027, 5, 2), 200_000),
    ];
    assert_eq!(
        plan_state(&plan(), &all, d(2027, 6, 1), &r),
        PlanState::Completed { on: d(2027, 5, 2) }
    );
    // Payments before the plan was agreed do not count towards it.
    let early = [(d(2027, 2, 1), 300_000)];
    assert!(matches!(
        plan_state(&plan(), &early, d(2027, 3, 25), &r),
        PlanState::Broken { .. }
    ));
}

#[test]
fn a_short_instalment_breaks_the_plan_the_day_after_its_due_date() {
    let r = Rules::default();
    let paid = [(d(2027, 3, 20), 299_999)];
    assert_eq!(
        plan_state(&plan(), &paid, d(2027, 3, 20), &r),
        PlanState::Kept,
        "due today"
    );
    assert_eq!(
        plan_state(&plan(), &paid, d(2027, 3, 21), &r),
        PlanState::Broken {
            on: d(2027, 3, 21),
            instalment_due: d(2027, 3, 20),
            missing_ore: 1
        }
    );
    // Paying the rest later does not mend it.
    let later = [(d(2027, 3, 20), 299_999), (d(2027, 3, 22), 1)];
    assert!(matches!(
        plan_state(&plan(), &later, d(2027, 4, 1), &r),
        PlanState::Broken { .. }
    ));
    // With three days' grace it is still kept on the 23rd.
    let grace = Rules {
        instalment_grace_days: 3,
        ..Rules::default()
    };
    assert_eq!(
        plan_state(&plan(), &later, d(2027, 3, 23), &grace),
        PlanState::Kept
    );
}

#[test]
fn a_new_plan_is_validated() {
    assert!(validate_plan(&plan(), 800_000).is_empty());
    let msgs = |p: &PaymentPlan, arrears| {
        validate_plan(p, arrears)
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(msgs(&plan(), 800_001).contains("dekker ikke restansen"));
    let mut p = plan();
    p.instalments.swap(0, 1);
    assert!(msgs(&p, 0).contains("stigende"));
    let mut p = plan();
    p.instalments[0].amount_ore = 0;
    assert!(msgs(&p, 0).contains("større enn 0"));
    let mut p = plan();
    p.instalments[0].due = d(2027, 2, 1);
    assert!(msgs(&p, 0).contains("før planen er avtalt"));
    p.instalments.clear();
    assert!(msgs(&p, 0).contains("minst ett avdrag"));
}

fn arb_plan() -> impl Strategy<Value = (PaymentPlan, Vec<(NaiveDate, i64)>)> {
    (
        proptest::collection::vec((1u64..40, 1i64..500_000), 1..6),
        proptest::collection::vec((0u64..200, 1i64..500_000), 0..10),
    )
        .prop_map(|(inst, pays)| {
            let agreed_on = d(2027, 1, 1);
            let mut due = agreed_on;
            let instalments = inst
                .into_iter()
                .map(|(gap, amount_ore)| {
                    due = plus(due, gap);
                    Instalment { due, amount_ore }
                })
                .collect();
            let payments = pays
                .into_iter()
                .map(|(g, a)| (plus(agreed_on, g), a))
                .collect();
            (
                PaymentPlan {
                    agreed_on,
                    instalments,
                },
                payments,
            )
        })
}

proptest! {
    /// Paying every instalment on its due date never breaks the plan.
    #[test]
    fn paying_each_instalment_on_time_keeps_the_plan((p, _) in arb_plan(), today in 0u64..300) {
        let pays: Vec<_> = p.instalments.iter().map(|i| (i.due, i.amount_ore)).collect();
        let state = plan_state(&p, &pays, plus(p.agreed_on, today), &Rules::default());
        prop_assert!(!matches!(state, PlanState::Broken { .. }), "{:?}", state);
    }

    /// Once broken, a plan stays broken on the same day whatever comes later.
    #[test]
    fn a_broken_plan_stays_broken((p, pays) in arb_plan(), a in 0u64..300, b in 0u64..300) {
        let r = Rules::default();
        let (a, b) = (a.min(b), a.max(b));
        let first = plan_state(&p, &pays, plus(p.agreed_on, a), &r);
        if let PlanState::Broken { on, .. } = first {
            let later = plan_state(&p, &pays, plus(p.agreed_on, b), &r);
            prop_assert!(matches!(later, PlanState::Broken { on: o, .. } if o == on), "{:?}", later);
        }
    }

    /// Broken exactly when some passed deadline saw less paid than was due by then.
    #[test]
    fn broken_means_a_deadline_was_missed((p, pays) in arb_plan(), today in 0u64..300) {
        let today = plus(p.agreed_on, today);
        let missed = p.instalments.iter().enumerate().any(|(k, i)| {
            let due_by: i64 = p.instalments[..=k].iter().map(|x| x.amount_ore).sum();
            let paid: i64 = pays.iter().filter(|(dd, _)| *dd <= i.due && *dd <= today).map(|(_, a)| a).sum();
            i.due < today && paid < due_by
        });
        let state = plan_state(&p, &pays, today, &Rules::default());
        prop_assert_eq!(matches!(state, PlanState::Broken { .. }), missed, "{:?}", state);
    }
}

// Reminder fee

#[test]
fn the_reminder_fee_is_capped_at_a_tenth_of_the_inkassosats() {
    let r = FeeRules::default();
    let due = d(2027, 1, 1);
    let on = d(2027, 1, 15);
    assert_eq!(max_reminder_fee(on, &r), Ok(7_000));
    assert_eq!(check_reminder_fee(7_000, due, on, 0, false, &r), Ok(()));
    let e = check_reminder_fee(7_001, due, on, 0, false, &r).expect_err("above the cap");
    assert!(e.message.contains("70,00"), "{e}");
    let e = check_reminder_fee(7_000, due, d(2027, 1, 14), 0, false, &r).expect_err("early");
    assert_eq!(e.earliest, Some(on));
    assert!(e.message.contains("15.01.2027"), "{e}");
    assert!(check_reminder_fee(7_000, due, on, 1, false, &r).is_ok());
    assert!(
        check_reminder_fee(7_000, due, on, 2, false, &r).is_err(),
        "a third fee"
    );
    let e = check_reminder_fee(7_000, due, on, 0, true, &r).expect_err("plan kept");
    assert!(e.message.contains("betalingsplanen"), "{e}");
    assert!(
        max_reminder_fee(d(2040, 1, 1), &r).is_err(),
        "no sats for 2040"
    );
    let mut custom = FeeRules::default();
    custom.inkassosats_ore.insert(2027, 77_005);
    assert_eq!(max_reminder_fee(on, &custom), Ok(7_700), "rounded down");
}

proptest! {
    #[test]
    fn an_accepted_fee_is_never_above_the_cap_nor_early(
        fee in 0i64..20_000, sats in 0i64..200_000, days in 0u64..60, already in 0u32..4,
    ) {
        let mut r = FeeRules::default();
        r.inkassosats_ore.insert(2027, sats);
        let due = d(2027, 3, 1);
        let on = plus(due, days);
        if check_reminder_fee(fee, due, on, already, false, &r).is_ok() {
            prop_assert!(fee * 10 <= sats);
            prop_assert!(days >= 14);
            prop_assert!(already < 2);
        }
    }
}

// Late-payment interest

fn flat(bp: u32) -> RateTable {
    RateTable {
        from: [(d(2020, 1, 1), bp)].into_iter().collect(),
    }
}

#[test]
fn interest_is_exact_to_the_ore() {
    // 10 000 kr at 12 % for 30 days: 1 000 000 × 1200 × 30 / 3 650 000 = 9 863.01… øre.
    assert_eq!(
        late_interest(1_000_000, d(2026, 1, 31), &[], d(2026, 3, 2), &flat(1200)),
        Ok(9_863)
    );
    // Half an øre rounds up: 36 500 øre at 10 % (1000 bp) for 5 days = 50.0 øre exactly;
    // 7 300 øre at 12.5 % for 1 day = 2.5 øre → 3.
    assert_eq!(
        late_interest(36_500, d(2026, 1, 1), &[], d(2026, 1, 6), &flat(1000)),
        Ok(50)
    );
    assert_eq!(
        late_interest(7_300, d(2026, 1, 1), &[], d(2026, 1, 2), &flat(1250)),
        Ok(3)
    );
    // Paid on the due date: nothing; a day late: one day.
    assert_eq!(
        late_interest(
            1_000_000,
            d(2026, 1, 1),
            &[(d(2026, 1, 1), 1_000_000)],
            d(2026, 6, 1),
            &flat(1200)
        ),
        Ok(0)
    );
    assert_eq!(
        late_interest(
            1_000_000,
            d(2026, 1, 1),
            &[(d(2026, 1, 2), 1_000_000)],
            d(2026, 6, 1),
            &flat(1200)
        ),
        Ok(329)
    );
}

#[test]
fn interest_follows_the_half_yearly_rate_and_partial_payments() {
    let rates = RateTable {
        from: [(d(2026, 1, 1), 1200), (d(2026, 7, 1), 1225)]
            .into_iter()
            .collect(),
    };
    // 10 days at 12 % and 10 days at 12.25 %: 1 000 000 × 24 250 / 3 650 000 = 6 643.8 → 6 644.
    assert_eq!(
        late_interest(1_000_000, d(2026, 6, 20), &[], d(2026, 7, 10), &rates),
        Ok(6_644)
    );
    // Half paid on 25 June: 5 days on all, 5 + 10 days on half = 4 143.8 → 4 144.
    assert_eq!(
        late_interest(
            1_000_000,
            d(2026, 6, 20),
            &[(d(2026, 6, 25), 500_000)],
            d(2026, 7, 10),
            &rates
        ),
        Ok(4_144)
    );
    let e = late_interest(1_000_000, d(2025, 12, 20), &[], d(2026, 1, 10), &rates)
        .expect_err("no rate");
    assert!(e.message.contains("21.12.2025"), "{e}");
    // The default table has a rate for every day since July 2016.
    assert!(late_interest(
        1_000_000,
        d(2016, 7, 1),
        &[],
        d(2026, 12, 31),
        &RateTable::default()
    )
    .is_ok());
}

/// Day by day, the way the rule reads.
fn naive_interest(
    charge: i64,
    due: NaiveDate,
    pays: &[(NaiveDate, i64)],
    until: NaiveDate,
    rates: &RateTable,
) -> i64 {
    let mut num: i128 = 0;
    let mut day = plus(due, 1);
    while day <= until {
        let paid: i64 = pays.iter().filter(|(p, _)| *p < day).map(|(_, a)| a).sum();
        let balance = (charge - paid).max(0) as i128;
        let rate = *rates.from.range(..=day).next_back().expect("rate").1 as i128;
        num += balance * rate;
        day = plus(day, 1);
    }
    ((num + DAY_BASIS * 5_000) / (DAY_BASIS * 10_000)) as i64
}

fn arb_interest() -> impl Strategy<Value = (i64, NaiveDate, Vec<(NaiveDate, i64)>, NaiveDate)> {
    (
        1i64..5_000_000,
        0u64..1500,
        proptest::collection::vec((0u64..400, 1i64..3_000_000), 0..5),
        0u64..500,
    )
        .prop_map(|(charge, due, pays, until)| {
            let due = plus(d(2022, 1, 1), due);
            let pays = pays.into_iter().map(|(g, a)| (plus(due, g), a)).collect();
            (charge, due, pays, plus(due, until))
        })
}

proptest! {
    #[test]
    fn interest_equals_the_day_by_day_sum((charge, due, pays, until) in arb_interest()) {
        let rates = RateTable::default();
        prop_assert_eq!(
            late_interest(charge, due, &pays, until, &rates),
            Ok(naive_interest(charge, due, &pays, until, &rates))
        );
    }

    #[test]
    fn interest_grows_with_time_and_paying_earlier_never_costs_more(
        (charge, due, pays, until) in arb_interest(), more in 0u64..100, earlier in 0u64..30,
    ) {
        let rates = RateTable::default();
        let now = late_interest(charge, due, &pays, until, &rates).expect("rate");
        prop_assert!(now >= 0);
        let later = late_interest(charge, due, &pays, plus(until, more), &rates).expect("rate");
        prop_assert!(later >= now);
        let sooner: Vec<_> = pays.iter().map(|(p, a)| (p.checked_sub_days(Days::new(earlier)).unwrap_or(*p).max(due), *a)).collect();
        prop_assert!(late_interest(charge, due, &sooner, until, &rates).expect("rate") <= now);
        // Never more than the whole charge at the highest rate for every day.
        let days = (until - due).num_days().max(0) as i128;
        prop_assert!((now as i128) * DAY_BASIS * 10_000 <= charge as i128 * 1250 * days + DAY_BASIS * 5_000);
    }
}
