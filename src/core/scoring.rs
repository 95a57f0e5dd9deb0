//! SIPAS scoring, pure: criterion satisfaction rates, factor indices, the overall index, points.
//!
//! The method (../shared/sipas-method.md): a criterion's rate is the share of respondents who
//! answered 4 or 5 among those who answered it (skips excluded); a factor's index is the mean of
//! its criteria's rates; the overall index is the mean of the factor indices. Rates are fractions
//! in 0..=1 here; formatting as 84,39% belongs to the locale layer.

/// A scale question and the factor it scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub question: String,
    pub factor: String,
}

/// A factor, in display order, and whether it counts in the overall index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorSpec {
    pub id: String,
    pub in_index: bool,
}

/// One stored answer to a scale question: a level 1..=5, or `None` for a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub question: String,
    pub level: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriterionScore {
    pub question: String,
    pub factor: String,
    /// Respondents who gave a level (skips excluded).
    pub answered: u64,
    pub skipped: u64,
    /// Respondents who answered 4 or 5.
    pub satisfied: u64,
    /// `satisfied / answered`, or `None` when nobody answered.
    pub rate: Option<f64>,
    /// The mean level on 1..=5, or `None` when nobody answered.
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FactorIndex {
    pub factor: String,
    pub in_index: bool,
    /// The mean of its criteria's rates, over criteria somebody answered.
    pub index: Option<f64>,
    /// The fewest answers any of its rated criteria had: the factor's effective sample.
    pub answered: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub criteria: Vec<CriterionScore>,
    pub factors: Vec<FactorIndex>,
    /// The mean of the indexed factors that have data.
    pub overall: Option<f64>,
}

/// Scores `ratings` against the criteria; ratings of unknown questions are ignored.
pub fn score(factors: &[FactorSpec], criteria: &[Criterion], ratings: &[Rating]) -> Scorecard {
    let counted: Vec<(&Rating, u64)> = ratings.iter().map(|rating| (rating, 1)).collect();
    score_counts(factors, criteria, &counted)
}

/// Scores ratings given with how many respondents gave each (running totals store counts, not
/// one row per answer); the same method as [`score`].
pub fn score_counts(
    factors: &[FactorSpec],
    criteria: &[Criterion],
    ratings: &[(&Rating, u64)],
) -> Scorecard {
    let criteria: Vec<CriterionScore> = criteria
        .iter()
        .map(|criterion| {
            let mut score = CriterionScore {
                question: criterion.question.clone(),
                factor: criterion.factor.clone(),
                answered: 0,
                skipped: 0,
                satisfied: 0,
                rate: None,
                mean: None,
            };
            let mut sum = 0u64;
            for (rating, count) in ratings
                .iter()
                .filter(|(r, _)| r.question == criterion.question)
            {
                match rating.level {
                    Some(level @ 1..=5) => {
                        score.answered += count;
                        sum += u64::from(level) * count;
                        if level >= 4 {
                            score.satisfied += count;
                        }
                    }
                    _ => score.skipped += count,
                }
            }
            if score.answered > 0 {
                score.rate = Some(score.satisfied as f64 / score.answered as f64);
                score.mean = Some(sum as f64 / score.answered as f64);
            }
            score
        })
        .collect();

    let factors: Vec<FactorIndex> = factors
        .iter()
        .map(|factor| {
            let rated: Vec<&CriterionScore> = criteria
                .iter()
                .filter(|c| c.factor == factor.id && c.rate.is_some())
                .collect();
            let rates: Vec<f64> = rated.iter().filter_map(|c| c.rate).collect();
            FactorIndex {
                factor: factor.id.clone(),
                in_index: factor.in_index,
                index: mean(&rates),
                answered: rated.iter().map(|c| c.answered).min().unwrap_or(0),
            }
        })
        .collect();

    let indexed: Vec<f64> = factors
        .iter()
        .filter(|f| f.in_index)
        .filter_map(|f| f.index)
        .collect();
    Scorecard {
        criteria,
        factors,
        overall: mean(&indexed),
    }
}

/// The overall SIPAS index from factor indices: their mean.
pub fn overall_index(factor_indices: &[f64]) -> Option<f64> {
    mean(factor_indices)
}

/// A rate converted to points on a province's own scale: `rate × maximum` (0,7104 × 24 = 17,05).
pub fn points(rate: f64, maximum: f64) -> f64 {
    rate * maximum
}

/// The 95% margin of error of a proportion `rate` measured on `sample` respondents
/// (normal approximation, 1,96 × √(p(1−p)/n)); `None` for an empty sample.
pub fn margin_of_error(rate: f64, sample: u64) -> Option<f64> {
    (sample > 0).then(|| 1.96 * (rate * (1.0 - rate) / sample as f64).sqrt())
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn son_la_2021_factors_give_the_published_index() {
        let overall = overall_index(&[0.917, 0.906, 0.900, 0.893, 0.889]).unwrap();
        assert!(close(overall, 0.901, 0.0005), "{overall}");
    }

    #[test]
    fn national_2023_factors_average_as_published() {
        let overall = overall_index(&[0.8300, 0.8302, 0.8312, 0.8303, 0.8227]).unwrap();
        assert!(close(overall, 0.82888, 0.00001), "{overall}");
    }

    #[test]
    fn tan_chau_points_match_the_published_figures() {
        assert!(close(points(0.7104, 24.0), 17.05, 0.005));
        assert!(close(points(0.9175, 32.0), 29.36, 0.005));
        assert!(close(17.05 / 24.0, 0.7104, 0.00005));
    }

    fn ratings(question: &str, levels: &[Option<u8>]) -> Vec<Rating> {
        levels
            .iter()
            .map(|level| Rating {
                question: question.into(),
                level: *level,
            })
            .collect()
    }

    #[test]
    fn rates_count_four_and_five_over_answers_excluding_skips() {
        let factors = [
            FactorSpec {
                id: "access".into(),
                in_index: true,
            },
            FactorSpec {
                id: "results".into(),
                in_index: true,
            },
        ];
        let criteria = [
            Criterion {
                question: "a1".into(),
                factor: "access".into(),
            },
            Criterion {
                question: "a2".into(),
                factor: "access".into(),
            },
            Criterion {
                question: "r1".into(),
                factor: "results".into(),
            },
        ];
        let mut all = ratings("a1", &[Some(5), Some(4), Some(3), Some(1), None]);
        all.extend(ratings("a2", &[Some(5), Some(5)]));
        all.extend(ratings("r1", &[Some(2), Some(4), Some(4), Some(4)]));
        let card = score(&factors, &criteria, &all);
        let a1 = &card.criteria[0];
        assert_eq!((a1.answered, a1.skipped, a1.satisfied), (4, 1, 2));
        assert_eq!(a1.rate, Some(0.5));
        assert_eq!(a1.mean, Some(13.0 / 4.0));
        assert_eq!(card.factors[0].index, Some(0.75));
        assert_eq!(card.factors[0].answered, 2);
        assert_eq!(card.factors[1].index, Some(0.75));
        assert_eq!(card.overall, Some(0.75));
    }

    #[test]
    fn factors_out_of_the_index_and_without_answers_do_not_count() {
        let factors = [
            FactorSpec {
                id: "access".into(),
                in_index: true,
            },
            FactorSpec {
                id: "feedback".into(),
                in_index: true,
            },
            FactorSpec {
                id: "overall".into(),
                in_index: false,
            },
        ];
        let criteria = [
            Criterion {
                question: "a".into(),
                factor: "access".into(),
            },
            Criterion {
                question: "f".into(),
                factor: "feedback".into(),
            },
            Criterion {
                question: "o".into(),
                factor: "overall".into(),
            },
        ];
        let mut all = ratings("a", &[Some(5), Some(1)]);
        all.extend(ratings("o", &[Some(1), Some(1)]));
        all.extend(ratings("f", &[None]));
        let card = score(&factors, &criteria, &all);
        assert_eq!(card.factors[1].index, None);
        assert_eq!(card.factors[2].index, Some(0.0));
        assert_eq!(card.overall, Some(0.5));
    }

    #[test]
    fn margin_of_error_shrinks_with_the_sample() {
        let small = margin_of_error(0.9, 30).unwrap();
        let large = margin_of_error(0.9, 3000).unwrap();
        assert!(close(small, 0.1073, 0.0005), "{small}");
        assert!(large < small / 9.0);
        assert_eq!(margin_of_error(0.9, 0), None);
    }
}
