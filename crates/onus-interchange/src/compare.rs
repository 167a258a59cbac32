//! Models of different providers side by side, by topic.
//!
//! For each topic of the vocabulary that some model covers: who holds R and A in each model,
//! which duties exist in one model and not another, and which duties each model leaves with
//! the customer. An activity counts under its topics (its suggested topics when it has none).
//! A customer duty is an activity where a customer party holds R or A, or a commitment,
//! quantified commitment or liability clause that binds a customer party.

use onus_model::{Activity, Duty, Model, PartyKind, Vocabulary};
use serde::Serialize;

/// One model, summed up.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub id: String,
    pub provider: String,
    pub service: String,
    pub version: String,
    pub activities: usize,
    /// Duties left with the customer (see the module's documentation).
    pub customer_duties: usize,
    /// Activities where the provider holds R.
    pub provider_duties: usize,
}

/// Who carries out a topic's activities in one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holder {
    /// The model has no activity on the topic.
    Absent,
    Customer,
    Provider,
    ThirdParty,
    /// Several kinds of parties hold R on the topic's activities.
    Shared,
    /// Activities exist but nobody holds R.
    Nobody,
}

impl Holder {
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Absent => "—",
            Holder::Customer => "customer",
            Holder::Provider => "provider",
            Holder::ThirdParty => "third party",
            Holder::Shared => "shared",
            Holder::Nobody => "nobody (R)",
        }
    }
}

/// A duty, for listing.
#[derive(Debug, Clone, Serialize)]
pub struct DutyRef {
    pub id: String,
    pub text: String,
    /// The customer's letters for an activity; the statement kind for a statement.
    pub letters: String,
}

/// One topic in one model.
#[derive(Debug, Clone, Serialize)]
pub struct TopicCell {
    pub holder: Holder,
    pub activities: usize,
    /// Names of the parties holding R on some activity of the topic.
    pub responsible: Vec<String>,
    /// Names of the parties holding A on some activity of the topic.
    pub accountable: Vec<String>,
    /// What the customer does on this topic.
    pub customer: Vec<DutyRef>,
    /// What the provider (or a third party) carries out on this topic.
    pub others: Vec<DutyRef>,
}

/// One topic across the models.
#[derive(Debug, Clone, Serialize)]
pub struct TopicRow {
    pub topic: String,
    pub title: String,
    /// One cell per model, in the order the models were given.
    pub cells: Vec<TopicCell>,
}

/// What one model leaves to the customer that the others do not.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub model: String,
    /// Topics where the customer carries out duties in this model and in no other model
    /// (elsewhere the provider does them, or the topic is absent).
    pub only_here: Vec<String>,
    /// Topics this model covers without leaving anything to the customer, while every other
    /// model leaves them to the customer.
    pub spared_here: Vec<String>,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub models: Vec<ModelSummary>,
    pub topics: Vec<TopicRow>,
    pub customer: Vec<CustomerView>,
}

fn topics_of(a: &Activity) -> &[String] {
    if a.topics.is_empty() {
        &a.suggested_topics
    } else {
        &a.topics
    }
}

fn kind_holds(m: &Model, a: &Activity, kind: PartyKind, duty: Duty) -> bool {
    m.parties
        .iter()
        .filter(|p| p.kind == kind)
        .any(|p| m.holds(a, &p.id, duty))
}

fn customer_duty(m: &Model, a: &Activity) -> bool {
    kind_holds(m, a, PartyKind::Customer, Duty::Responsible)
        || kind_holds(m, a, PartyKind::Customer, Duty::Accountable)
}

fn customer_letters(m: &Model, a: &Activity) -> String {
    m.parties
        .iter()
        .filter(|p| p.kind == PartyKind::Customer)
        .map(|p| m.letters(a, &p.id))
        .collect::<Vec<_>>()
        .join("")
}

/// Compares models by topic. Texts are in `lang` when the models have it.
pub fn compare(models: &[&Model], vocab: &Vocabulary, lang: &str) -> Comparison {
    let summaries = models
        .iter()
        .map(|m| ModelSummary {
            id: m.id.clone(),
            provider: m.provider.clone(),
            service: m.service.clone(),
            version: m.version.clone(),
            activities: m.activities.len(),
            customer_duties: m.activities.iter().filter(|a| customer_duty(m, a)).count()
                + m.statements
                    .iter()
                    .filter(|s| s.kind.binds() && binds_customer(m, s.party.as_deref()))
                    .count(),
            provider_duties: m
                .activities
                .iter()
                .filter(|a| kind_holds(m, a, PartyKind::Provider, Duty::Responsible))
                .count(),
        })
        .collect();
    // Topics in vocabulary order, then any unknown to the vocabulary.
    let mut ids: Vec<String> = vocab.topics.iter().map(|t| t.id.clone()).collect();
    for m in models {
        for a in &m.activities {
            for t in topics_of(a) {
                if !ids.contains(t) {
                    ids.push(t.clone());
                }
            }
        }
    }
    let mut rows = Vec::new();
    for t in ids {
        let cells: Vec<TopicCell> = models.iter().map(|m| cell(m, &t, lang)).collect();
        if cells.iter().all(|c| c.holder == Holder::Absent) {
            continue;
        }
        let title = vocab
            .topic(&t)
            .map(|x| x.title.best(lang).to_string())
            .unwrap_or_else(|| t.clone());
        rows.push(TopicRow {
            topic: t,
            title,
            cells,
        });
    }
    let customer = (0..models.len())
        .map(|i| {
            let does = |row: &TopicRow, j: usize| !row.cells[j].customer.is_empty();
            let others: Vec<usize> = (0..models.len()).filter(|&j| j != i).collect();
            CustomerView {
                model: models[i].id.clone(),
                only_here: rows
                    .iter()
                    .filter(|r| does(r, i) && others.iter().all(|&j| !does(r, j)))
                    .map(|r| r.topic.clone())
                    .collect(),
                spared_here: rows
                    .iter()
                    .filter(|r| {
                        r.cells[i].holder != Holder::Absent
                            && !does(r, i)
                            && !others.is_empty()
                            && others.iter().all(|&j| does(r, j))
                    })
                    .map(|r| r.topic.clone())
                    .collect(),
            }
        })
        .collect();
    Comparison {
        models: summaries,
        topics: rows,
        customer,
    }
}

fn binds_customer(m: &Model, party: Option<&str>) -> bool {
    party
        .and_then(|p| m.party(p))
        .is_some_and(|p| p.kind == PartyKind::Customer)
}

fn cell(m: &Model, topic: &str, lang: &str) -> TopicCell {
    let acts: Vec<&Activity> = m
        .activities
        .iter()
        .filter(|a| topics_of(a).iter().any(|t| t == topic))
        .collect();
    let mut responsible = Vec::new();
    let mut accountable = Vec::new();
    let mut kinds = Vec::new();
    for a in &acts {
        for p in &m.parties {
            let name = p.name.best(lang).to_string();
            if m.holds(a, &p.id, Duty::Responsible) {
                if !responsible.contains(&name) {
                    responsible.push(name.clone());
                }
                if !kinds.contains(&p.kind) {
                    kinds.push(p.kind);
                }
            }
            if m.holds(a, &p.id, Duty::Accountable) && !accountable.contains(&name) {
                accountable.push(name);
            }
        }
    }
    let mut customer: Vec<DutyRef> = acts
        .iter()
        .filter(|a| customer_duty(m, a))
        .map(|a| DutyRef {
            id: a.id.clone(),
            text: a.text.best(lang).to_string(),
            letters: customer_letters(m, a),
        })
        .collect();
    customer.extend(
        m.statements
            .iter()
            .filter(|s| {
                s.kind.binds()
                    && binds_customer(m, s.party.as_deref())
                    && s.topics.iter().any(|t| t == topic)
            })
            .map(|s| DutyRef {
                id: s.id.clone(),
                text: s.text.best(lang).to_string(),
                letters: s.kind.as_str().to_string(),
            }),
    );
    let others = acts
        .iter()
        .filter(|a| !customer_duty(m, a))
        .map(|a| DutyRef {
            id: a.id.clone(),
            text: a.text.best(lang).to_string(),
            letters: String::new(),
        })
        .collect();
    let holder = if acts.is_empty() && customer.is_empty() {
        Holder::Absent
    } else {
        match kinds.as_slice() {
            [] if customer.is_empty() => Holder::Nobody,
            [] => Holder::Customer,
            [PartyKind::Customer] => Holder::Customer,
            [PartyKind::Provider] => Holder::Provider,
            [PartyKind::ThirdParty] => Holder::ThirdParty,
            _ => Holder::Shared,
        }
    };
    TopicCell {
        holder,
        activities: acts.len(),
        responsible,
        accountable,
        customer,
        others,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onus_model::{load_str, Options, BUILTIN};

    fn builtin(id: &str) -> Model {
        let (_, text) = BUILTIN.iter().find(|(i, _)| *i == id).unwrap();
        load_str(id, text, Vocabulary::builtin(), &Options::default())
            .model
            .unwrap()
    }

    #[test]
    fn h8lio_and_ovhcloud_differ_on_what_the_customer_does() {
        let (h, o) = (builtin("h8lio"), builtin("ovhcloud-mks"));
        let c = compare(&[&h, &o], Vocabulary::builtin(), "en");
        assert_eq!(c.models.len(), 2);
        assert!(c.models.iter().all(|m| m.customer_duties > 0));
        let backup = c.topics.iter().find(|r| r.topic == "backup").unwrap();
        // Both leave backups to the customer; h8lio says so in a liability clause too.
        assert!(!backup.cells[0].customer.is_empty() && !backup.cells[1].customer.is_empty());
        assert!(backup.cells[0]
            .customer
            .iter()
            .any(|d| d.id == "data.liability"));
        // Something is only the customer's on one of them.
        assert!(c.customer.iter().any(|v| !v.only_here.is_empty()));
        for r in &c.topics {
            assert_eq!(r.cells.len(), 2);
        }
    }
}
