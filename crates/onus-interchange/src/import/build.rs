//! The one table-to-model step every reader feeds: finds each table's header row, recognises
//! columns, party kinds, sections, role cells (letters, or owners named in words) and footnote
//! markers, and suggests topics. Everything it cannot interpret is a located warning.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use onus_model::{
    Activity, ControlRef, Duty, Footnote, Model, Party, PartyKind, RoleLetter, RoleScheme, Section,
    SectionKind, Source, SourceRef, Text, Vocabulary,
};

use super::cells::{marker_key, parse_cell, parse_cell_owners, Owner, Owners};
use super::columns::{classify, party_kind, Col};
use super::form::{first_filled, Doc, Loc, Row, Table};
use super::topics::suggest_topics;
use super::{ImportError, Imported};
use crate::util::{key, parent_number, slug, split_number, unique};

fn default_roles(lang: &str) -> RoleScheme {
    let defs: [(char, Duty, &str, &str, &str, &str); 4] = [
        (
            'R',
            Duty::Responsible,
            "Responsible",
            "Carries out the activity",
            "Réalisateur",
            "Est en charge de la réalisation",
        ),
        (
            'A',
            Duty::Accountable,
            "Accountable",
            "Answers for the activity and approves it",
            "Approbateur",
            "Approuve la réalisation et en répond",
        ),
        (
            'C',
            Duty::Consulted,
            "Consulted",
            "Is consulted during the activity",
            "Consulté",
            "Est consulté pendant l'activité",
        ),
        (
            'I',
            Duty::Informed,
            "Informed",
            "Is informed of its results",
            "Informé",
            "Est informé des résultats",
        ),
    ];
    let letters = defs
        .iter()
        .map(|&(letter, duty, en, en_d, fr, fr_d)| {
            let (n, d) = if lang == "fr" { (fr, fr_d) } else { (en, en_d) };
            RoleLetter {
                letter,
                duty,
                name: Text::new(lang, n),
                definition: Text::new(lang, d),
            }
        })
        .collect();
    RoleScheme {
        id: "raci".into(),
        letters,
        note: None,
    }
}

struct Builder {
    doc: Doc,
    model: Model,
    has_meta: bool,
    /// Folded party label to party id.
    party_labels: HashMap<String, String>,
    /// Heading index to section id.
    heading_sections: HashMap<usize, String>,
    /// Rows seen per section, for ids and source rows.
    rows_in_section: HashMap<String, u32>,
    letters: Vec<char>,
    lang: String,
}

/// Builds the model from a read document.
pub(crate) fn build(doc: Doc) -> Result<Imported, ImportError> {
    let has_meta = doc.meta.is_some();
    let lang = doc
        .meta
        .as_ref()
        .map(|m| m.language.clone())
        .or_else(|| doc.front.language.clone())
        .or_else(|| detect_lang(&doc))
        .unwrap_or_else(|| "en".into());
    let model = match &doc.meta {
        Some(m) => m.clone(),
        None => skeleton(&doc, &lang),
    };
    let letters = model.roles.letters.iter().map(|l| l.letter).collect();
    let mut b = Builder {
        doc,
        model,
        has_meta,
        party_labels: HashMap::new(),
        heading_sections: HashMap::new(),
        rows_in_section: HashMap::new(),
        letters,
        lang,
    };
    if has_meta {
        for p in &b.model.parties {
            b.party_labels.insert(key(&p.id), p.id.clone());
            for n in p.name.all() {
                b.party_labels.entry(key(n)).or_insert_with(|| p.id.clone());
            }
        }
    } else {
        for d in std::mem::take(&mut b.doc.parties) {
            let name = d.name.clone().unwrap_or_else(|| d.label.clone());
            b.model.parties.push(Party {
                id: d.id.clone(),
                kind: d.kind,
                name: Text::new(&b.lang, name),
            });
            b.party_labels.insert(key(&d.label), d.id);
        }
        if let Some(note) = b.doc.roles_note.take() {
            b.model.roles.note = Some(Text::new(&b.lang, note));
        }
    }
    let tables = std::mem::take(&mut b.doc.tables);
    let mut matrices = 0;
    for t in &tables {
        if b.table(t) {
            matrices += 1;
        }
    }
    if matrices == 0 {
        return Err(ImportError::NoMatrix { file: b.doc.file });
    }
    if !b.has_meta {
        b.finish_plain();
    }
    onus_model::validate::normalize(&mut b.model);
    Ok(Imported {
        model: b.model,
        warnings: b.doc.warnings,
    })
}

/// The language of a document without metadata, from its activity column's label.
fn detect_lang(doc: &Doc) -> Option<String> {
    for t in &doc.tables {
        for r in t.rows.iter().take(20) {
            for c in &r.cells {
                if let (Col::Text(l), hint) = classify(c) {
                    return l.or(hint.map(str::to_string));
                }
            }
        }
    }
    None
}

fn skeleton(doc: &Doc, lang: &str) -> Model {
    let f = &doc.front;
    let stem = Path::new(&doc.file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported")
        .to_string();
    let title = f.title.clone().unwrap_or_else(|| stem.clone());
    let published = f
        .updated
        .clone()
        .filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-');
    Model {
        format: onus_model::FORMAT.into(),
        id: f.id.clone().unwrap_or_else(|| slug(&stem)),
        version: f
            .version
            .clone()
            .or_else(|| f.updated.clone())
            .unwrap_or_else(|| "1".into()),
        title: Text::new(lang, title.clone()),
        description: f.description.as_ref().map(|d| Text::new(lang, d.clone())),
        provider: f.provider.clone().unwrap_or_default(),
        service: f.service.clone().unwrap_or_else(|| title.clone()),
        published,
        source: Source {
            document: f.title.clone(),
            url: None,
            repository: None,
            notes: None,
            license: None,
            attribution: None,
        },
        language: lang.to_string(),
        languages: vec![lang.to_string()],
        translations: Vec::new(),
        parties: Vec::new(),
        roles: default_roles(lang),
        sections: Vec::new(),
        activities: Vec::new(),
        statements: Vec::new(),
        audit: Default::default(),
        end_of_service: None,
        events: Vec::new(),
        lint: Default::default(),
    }
}

/// The columns of a header row, with the language of each text column resolved.
struct Header {
    index: usize,
    cols: Vec<Col>,
    labels: Vec<String>,
}

impl Builder {
    fn warn(
        &mut self,
        loc: &Loc,
        column: Option<&str>,
        cell: Option<&str>,
        message: impl Into<String>,
    ) {
        self.doc.warn(loc, column, cell, message);
    }

    /// Finds the header row of a table: the first row with an activity column and at least one
    /// party column.
    fn header(&self, t: &Table) -> Option<Header> {
        let candidates = if t.header_known {
            1
        } else {
            t.rows.len().min(30)
        };
        for (index, row) in t.rows.iter().enumerate().take(candidates) {
            let mut cols = Vec::new();
            let mut text = false;
            let mut parties = 0;
            for c in &row.cells {
                let (col, hint) = classify(c);
                let col = match col {
                    Col::Text(None) => {
                        text = true;
                        // An unsuffixed column is in the model's language, unless the label says
                        // otherwise and nothing says which.
                        Col::Text(Some(if self.has_meta {
                            self.lang.clone()
                        } else {
                            hint.map(str::to_string)
                                .unwrap_or_else(|| self.lang.clone())
                        }))
                    }
                    Col::Text(l) => {
                        text = true;
                        Col::Text(l)
                    }
                    Col::Party(p) => {
                        parties += 1;
                        Col::Party(p)
                    }
                    Col::SectionTitle(None) => Col::SectionTitle(Some(self.lang.clone())),
                    Col::Lead(None) => Col::Lead(Some(self.lang.clone())),
                    Col::Notes(None) => Col::Notes(Some(self.lang.clone())),
                    Col::Footnotes(None) => Col::Footnotes(Some(self.lang.clone())),
                    other => other,
                };
                cols.push(col);
            }
            if text && parties > 0 {
                return Some(Header {
                    index,
                    cols,
                    labels: row.cells.clone(),
                });
            }
        }
        None
    }

    /// Reads one table; false when it holds no matrix.
    fn table(&mut self, t: &Table) -> bool {
        let Some(h) = self.header(t) else {
            self.legend(t);
            return false;
        };
        let loc0 = t
            .rows
            .get(h.index)
            .map(|r| r.loc.clone())
            .unwrap_or_default();
        for r in &t.rows[..h.index] {
            if r.cells.iter().any(|c| !c.trim().is_empty()) {
                let first = first_filled(&r.cells).unwrap_or_default().to_string();
                self.warn(
                    &r.loc,
                    None,
                    Some(&first),
                    "row before the header row; ignored",
                );
            }
        }
        if !self.has_meta && owners_in_words(t, &h, &self.letters) {
            self.owner_table(t, &h);
            return true;
        }
        // Party columns to party ids.
        let mut party_of: Vec<Option<String>> = Vec::new();
        for (col, label) in h.cols.iter().zip(&h.labels) {
            party_of.push(match col {
                Col::Party(p) => Some(self.party(p, label, &loc0)),
                _ => None,
            });
        }
        let has = |f: &dyn Fn(&Col) -> bool| h.cols.iter().any(f);
        let has_topics = has(&|c| matches!(c, Col::Topics));
        let has_suggested = has(&|c| matches!(c, Col::Suggested));
        let has_section_col = has(&|c| matches!(c, Col::Section));
        let mut table_section: Option<String> = None;
        if !has_section_col {
            table_section = Some(match (t.heading, &t.sheet) {
                (Some(hi), _) => self.heading_section(hi),
                (None, Some(sheet)) => self.named_section(sheet, None, &loc0),
                (None, None) => {
                    let title = self.model.title.best(&self.lang).to_string();
                    self.named_section(&title, None, &loc0)
                }
            });
        }
        let mut footnotes_here: Vec<(String, String)> = t.footnotes.clone();
        footnotes_here.extend(self.doc.footnotes.clone());
        let mut used_markers: Vec<String> = Vec::new();

        for row in &t.rows[h.index + 1..] {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cell = |i: usize| row.cells.get(i).map(|s| s.trim()).unwrap_or("");
            let mut text = Text::default();
            let mut lead = Text::default();
            let mut sec_title = Text::default();
            let mut notes: Vec<(String, Vec<String>)> = Vec::new();
            let mut foot_cols: Vec<(String, Vec<(String, String)>)> = Vec::new();
            let mut a = Activity {
                id: String::new(),
                section: String::new(),
                lead: None,
                text: Text::default(),
                roles: IndexMap::new(),
                topics: Vec::new(),
                suggested_topics: Vec::new(),
                layer: None,
                cadence: None,
                source: None,
                footnotes: Vec::new(),
                notes: Vec::new(),
                controls: Vec::new(),
            };
            let mut section_value = String::new();
            let (mut src_section, mut src_list, mut src_row) =
                (String::new(), String::new(), String::new());
            let mut markers: Vec<(String, String)> = Vec::new(); // (party, marker)
            for (i, col) in h.cols.iter().enumerate() {
                let v = cell(i);
                match col {
                    Col::Id => a.id = v.to_string(),
                    Col::Section => section_value = v.to_string(),
                    Col::SectionTitle(l) => set(&mut sec_title, l, v),
                    Col::Lead(l) => set(&mut lead, l, v),
                    Col::Text(l) => set(&mut text, l, v),
                    Col::Topics => a.topics = list(v),
                    Col::Suggested => a.suggested_topics = list(v),
                    Col::Layer => a.layer = (!v.is_empty()).then(|| v.to_string()),
                    Col::Cadence => a.cadence = (!v.is_empty()).then(|| v.to_string()),
                    Col::SourceSection => src_section = v.to_string(),
                    Col::SourceList => src_list = v.to_string(),
                    Col::SourceRow => src_row = v.to_string(),
                    Col::Notes(l) => notes.push((
                        l.clone().unwrap_or_default(),
                        if v.is_empty() {
                            Vec::new()
                        } else {
                            v.lines().map(str::to_string).collect()
                        },
                    )),
                    Col::Controls => {
                        for c in list(v) {
                            match c.split_once(':') {
                                Some((cat, id))
                                    if !cat.trim().is_empty() && !id.trim().is_empty() =>
                                {
                                    a.controls.push(ControlRef {
                                        catalog: cat.trim().to_string(),
                                        id: id.trim().to_string(),
                                    })
                                }
                                _ => self.doc.warn_at(
                                    &row.loc,
                                    Some(i),
                                    Some("Controls"),
                                    Some(&c),
                                    "not `catalog:id` (`sp800-53:ac-2`); ignored",
                                ),
                            }
                        }
                    }
                    Col::Footnotes(l) => foot_cols.push((
                        l.clone().unwrap_or_default(),
                        v.lines()
                            .filter_map(|line| {
                                line.split_once(':')
                                    .map(|(m, t)| (m.trim().to_string(), t.trim().to_string()))
                            })
                            .collect(),
                    )),
                    Col::Party(_) => {
                        let Some(pid) = party_of[i].clone() else {
                            continue;
                        };
                        match parse_cell(v, &self.letters) {
                            Ok(c) => {
                                for m in c.markers {
                                    markers.push((pid.clone(), m));
                                }
                                a.roles.insert(pid, c.letters);
                            }
                            Err(e) => {
                                let label = h.labels[i].clone();
                                self.doc.warn_at(
                                    &row.loc,
                                    Some(i),
                                    Some(&label),
                                    Some(v),
                                    format!("{e}; left empty"),
                                );
                                a.roles.insert(pid, String::new());
                            }
                        }
                    }
                    Col::Empty => {
                        if !v.is_empty() {
                            self.doc.warn_at(
                                &row.loc,
                                Some(i),
                                Some(""),
                                Some(v),
                                "cell under an empty header; ignored",
                            );
                        }
                    }
                }
            }
            if text.all().all(|s| s.is_empty()) {
                let first = first_filled(&row.cells).unwrap_or_default().to_string();
                self.warn(
                    &row.loc,
                    None,
                    Some(&first),
                    "row without activity text; skipped",
                );
                continue;
            }
            text.0.retain(|_, v| !v.is_empty());
            a.text = text;
            lead.0.retain(|_, v| !v.is_empty());
            a.lead = (!lead.is_empty()).then_some(lead);
            // Section.
            a.section = match &table_section {
                Some(s) => s.clone(),
                None if section_value.is_empty() => {
                    self.warn(
                        &row.loc,
                        Some("Section"),
                        None,
                        "no section; put in the first section",
                    );
                    let t = self.model.title.best(&self.lang.clone()).to_string();
                    self.named_section(&t, None, &row.loc)
                }
                None => self.named_section(&section_value, Some(&sec_title), &row.loc),
            };
            let n = {
                let c = self.rows_in_section.entry(a.section.clone()).or_insert(0);
                *c += 1;
                *c
            };
            // Id.
            if a.id.is_empty() {
                if self.has_meta && h.cols.contains(&Col::Id) {
                    self.warn(
                        &row.loc,
                        Some("Id"),
                        None,
                        "no id; one was made from the section and row",
                    );
                }
                a.id = format!("{}-r{n}", a.section);
            }
            let id = a.id.clone();
            let taken = |c: &str| {
                self.model.activities.iter().any(|x| x.id == c)
                    || self.model.statements.iter().any(|s| s.id == c)
            };
            if taken(&id) {
                let new = unique(id.clone(), taken);
                self.warn(
                    &row.loc,
                    Some("Id"),
                    Some(&id),
                    format!("id used twice; renamed `{new}`"),
                );
                a.id = new;
            }
            // Source.
            if self.has_meta
                || h.cols
                    .iter()
                    .any(|c| matches!(c, Col::SourceSection | Col::SourceRow | Col::SourceList))
            {
                if !src_section.is_empty() {
                    let row_n = if src_row.is_empty() {
                        None
                    } else {
                        match src_row.parse::<u32>() {
                            Ok(r) => Some(r),
                            Err(_) => {
                                self.warn(
                                    &row.loc,
                                    Some("Source row"),
                                    Some(&src_row),
                                    "not a row number; ignored",
                                );
                                None
                            }
                        }
                    };
                    a.source = Some(SourceRef {
                        section: src_section,
                        row: row_n,
                        list: (!src_list.is_empty()).then_some(src_list),
                    });
                }
            } else {
                let sec = self.model.section(&a.section);
                let name = sec
                    .map(|s| {
                        s.number
                            .clone()
                            .unwrap_or_else(|| s.title.best(&self.lang).to_string())
                    })
                    .unwrap_or_else(|| a.section.clone());
                a.source = Some(SourceRef {
                    section: name,
                    row: Some(n),
                    list: None,
                });
            }
            // Topics.
            if !has_topics && !has_suggested {
                a.suggested_topics = suggest_topics(Vocabulary::builtin(), &a.text);
            }
            // Notes: one column per language, one note per line.
            let count = notes.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            for j in 0..count {
                let mut t = Text::default();
                for (l, v) in &notes {
                    if let Some(s) = v.get(j) {
                        if !s.is_empty() {
                            t.set(l, s.clone());
                        }
                    }
                }
                a.notes.push(t);
            }
            // Footnotes: from the footnotes columns, then the definitions near the table.
            let mut order: Vec<String> = Vec::new();
            let mut texts: HashMap<String, Text> = HashMap::new();
            for (l, defs) in &foot_cols {
                for (m, t) in defs {
                    if !order.contains(m) {
                        order.push(m.clone());
                    }
                    texts.entry(m.clone()).or_default().set(l, t.clone());
                }
            }
            for (_, m) in &markers {
                if !order.contains(m) {
                    order.push(m.clone());
                }
            }
            for m in order {
                let party = markers
                    .iter()
                    .find(|(_, x)| *x == m)
                    .map(|(p, _)| p.clone());
                let text = match texts.remove(&m) {
                    Some(t) => t,
                    None => {
                        match footnotes_here
                            .iter()
                            .find(|(d, _)| marker_key(d) == marker_key(&m))
                        {
                            Some((_, t)) => {
                                used_markers.push(marker_key(&m));
                                Text::new(&self.lang, t.clone())
                            }
                            None => {
                                self.warn(&row.loc, None, Some(&m), "footnote marker without a footnote text; kept with an empty text");
                                Text::new(&self.lang, "")
                            }
                        }
                    }
                };
                a.footnotes.push(Footnote {
                    marker: m,
                    party,
                    text,
                });
            }
            self.extra(&mut a, row);
            self.model.activities.push(a);
        }
        for (m, text) in &t.footnotes {
            if !used_markers.contains(&marker_key(m)) {
                let loc = t.rows.last().map(|r| r.loc.clone()).unwrap_or_default();
                self.warn(
                    &loc,
                    None,
                    Some(&format!("{m} {text}")),
                    "footnote that no cell of the table refers to; ignored",
                );
            }
        }
        true
    }

    /// What a structured reader attached to the row: footnotes on a party's cell, notes,
    /// controls.
    fn extra(&mut self, a: &mut Activity, row: &Row) {
        for (label, marker, text) in &row.extra.footnotes {
            let party = self.party_labels.get(&key(label)).cloned();
            a.footnotes.push(Footnote {
                marker: marker.clone(),
                party,
                text: Text::new(&self.lang, text.clone()),
            });
        }
        for n in &row.extra.notes {
            a.notes.push(Text::new(&self.lang, n.clone()));
        }
        for c in &row.extra.controls {
            if !a.controls.contains(c) {
                a.controls.push(c.clone());
            }
        }
    }

    /// A table whose cells name owners in words (`Resource | Incident and operations
    /// management | Change management ...` with `Customer`, `Red Hat and customer`, `AWS`,
    /// `Shared`): each column other than the item's is an area of work and becomes a section
    /// under the table's; each non-empty cell is an activity (the item, in that area) whose
    /// named owners hold R and A.
    fn owner_table(&mut self, t: &Table, h: &Header) {
        let loc0 = t
            .rows
            .get(h.index)
            .map(|r| r.loc.clone())
            .unwrap_or_default();
        let parent = match (t.heading, &t.sheet) {
            (Some(hi), _) => Some(self.heading_section(hi)),
            (None, Some(sheet)) => Some(self.named_section(sheet, None, &loc0)),
            (None, None) => None,
        };
        let text_col = h.cols.iter().position(|c| matches!(c, Col::Text(_)));
        let text_lang = match text_col.and_then(|i| h.cols.get(i)) {
            Some(Col::Text(Some(l))) => l.clone(),
            _ => self.lang.clone(),
        };
        // First pass: every party the cells name, in order of appearance, so that `Shared`
        // can stand for the provider and the customer wherever it comes.
        let mut parsed: Vec<Vec<(usize, Owners)>> = Vec::new();
        for row in &t.rows[h.index + 1..] {
            let mut cells = Vec::new();
            for (i, col) in h.cols.iter().enumerate() {
                if !matches!(col, Col::Party(_)) {
                    continue;
                }
                let v = row.cells.get(i).map(|s| s.trim()).unwrap_or("");
                match parse_cell_owners(v) {
                    Some(owners) => {
                        for o in &owners.owners {
                            if let Owner::Named(n) = o {
                                self.party(n, n, &row.loc);
                            }
                        }
                        cells.push((i, owners));
                    }
                    None => self.doc.warn_at(
                        &row.loc,
                        Some(i),
                        Some(&h.labels[i]),
                        Some(v),
                        "names no owner (a party's name, `X and Y`, `Shared`); no activity made",
                    ),
                }
            }
            parsed.push(cells);
        }
        let of_kind =
            |m: &Model, k: PartyKind| m.parties.iter().find(|p| p.kind == k).map(|p| p.id.clone());
        let shared: Vec<String> = [PartyKind::Provider, PartyKind::Customer]
            .into_iter()
            .filter_map(|k| of_kind(&self.model, k))
            .collect();
        // One section per area, in column order.
        let mut area_section: HashMap<usize, String> = HashMap::new();
        for (i, col) in h.cols.iter().enumerate() {
            if let Col::Party(label) = col {
                let id = unique(slug(label), |c| {
                    self.model.sections.iter().any(|s| s.id == c)
                });
                self.model.sections.push(Section {
                    id: id.clone(),
                    number: None,
                    parent: parent.clone(),
                    kind: SectionKind::Group,
                    title: Text::new(&self.lang, label.clone()),
                    layer: None,
                });
                area_section.insert(i, id);
            }
        }
        for (row, cells) in t.rows[h.index + 1..].iter().zip(parsed) {
            let item = text_col
                .and_then(|i| row.cells.get(i))
                .map(|s| s.trim())
                .unwrap_or("");
            if item.is_empty() {
                if row.cells.iter().any(|c| !c.trim().is_empty()) {
                    self.warn(&row.loc, None, None, "row without an item; skipped");
                }
                continue;
            }
            for (i, owners) in cells {
                if owners.owners.is_empty() {
                    continue;
                }
                let mut roles = IndexMap::new();
                for o in owners.owners {
                    let ids = match o {
                        Owner::Named(n) => vec![self.party(&n, &n, &row.loc)],
                        Owner::Shared if shared.len() == 2 => shared.clone(),
                        Owner::Shared => {
                            self.doc.warn_at(
                                &row.loc,
                                Some(i),
                                Some(&h.labels[i]),
                                Some("Shared"),
                                "`Shared` needs a provider and a customer named elsewhere in the table; no activity made",
                            );
                            Vec::new()
                        }
                    };
                    for id in ids {
                        roles.insert(id, "RA".to_string());
                    }
                }
                if roles.is_empty() {
                    continue;
                }
                let section = area_section.get(&i).cloned().unwrap_or_default();
                let n = {
                    let c = self.rows_in_section.entry(section.clone()).or_insert(0);
                    *c += 1;
                    *c
                };
                let text = Text::new(&text_lang, item);
                let mut footnotes = Vec::new();
                for m in owners.markers {
                    let def = t
                        .footnotes
                        .iter()
                        .chain(&self.doc.footnotes)
                        .find(|(d, _)| marker_key(d) == marker_key(&m))
                        .map(|(_, x)| x.clone());
                    if def.is_none() {
                        self.doc.warn_at(
                            &row.loc,
                            Some(i),
                            Some(&h.labels[i]),
                            Some(&m),
                            "footnote marker without a footnote text; kept with an empty text",
                        );
                    }
                    // The cell names its owners in words: the note is on the cell, not on
                    // one party's letters.
                    footnotes.push(Footnote {
                        marker: m,
                        party: None,
                        text: Text::new(&self.lang, def.unwrap_or_default()),
                    });
                }
                let a = Activity {
                    id: format!("{section}-r{n}"),
                    section: section.clone(),
                    lead: None,
                    suggested_topics: suggest_topics(Vocabulary::builtin(), &text),
                    text,
                    roles,
                    topics: Vec::new(),
                    layer: None,
                    cadence: None,
                    source: Some(SourceRef {
                        section: h.labels[i].clone(),
                        row: Some(n),
                        list: None,
                    }),
                    footnotes,
                    notes: Vec::new(),
                    controls: Vec::new(),
                };
                self.model.activities.push(a);
            }
        }
        if self.model.roles.note.is_none() {
            self.model.roles.note = Some(Text::new(&self.lang, OWNERS_NOTE));
        }
    }

    /// A table that is not a matrix may be the role legend (`R : definition`).
    fn legend(&mut self, t: &Table) {
        let mut found = false;
        for r in &t.rows {
            for c in &r.cells {
                let c = c.trim();
                let mut it = c.chars();
                let (Some(l), Some(rest)) = (it.next(), Some(it.as_str().trim_start())) else {
                    continue;
                };
                let Some(def) = rest.strip_prefix([':', '=', '-', '–']) else {
                    continue;
                };
                let def = def.trim();
                if def.is_empty() || self.has_meta {
                    continue;
                }
                let lang = self.lang.clone();
                if let Some(letter) = self.model.roles.letters.iter_mut().find(|x| x.letter == l) {
                    letter.definition = Text::new(&lang, def);
                    found = true;
                }
            }
        }
        if !found
            && !self.has_meta
            && t.rows
                .iter()
                .any(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        {
            let loc = t.rows.first().map(|r| r.loc.clone()).unwrap_or_default();
            let first = t.rows.first().and_then(|r| r.cells.first()).cloned();
            self.warn(
                &loc,
                None,
                first.as_deref(),
                "table without an activity column and party columns; ignored",
            );
        }
    }

    /// The party a column stands for, declaring it on first sight.
    fn party(&mut self, label: &str, _raw: &str, loc: &Loc) -> String {
        let k = key(label);
        if let Some(id) = self.party_labels.get(&k) {
            return id.clone();
        }
        // The first provider-like party is the provider; later ones (OpenShift Dedicated's
        // "Cloud provider" beside Red Hat) are third parties, so that `provider` names one.
        let has_provider = self
            .model
            .parties
            .iter()
            .any(|p| p.kind == PartyKind::Provider);
        let kind = match party_kind(label) {
            Some(PartyKind::Provider) | None if has_provider => PartyKind::ThirdParty,
            Some(k) => k,
            None => PartyKind::Provider,
        };
        let base = if kind == PartyKind::Customer
            && !self
                .model
                .parties
                .iter()
                .any(|p| p.kind == PartyKind::Customer)
        {
            "customer".to_string()
        } else {
            slug(label)
        };
        let id = unique(base, |c| self.model.parties.iter().any(|p| p.id == c));
        if self.has_meta {
            self.warn(
                loc,
                Some(label),
                None,
                format!("not a party of the model; declared as `{id}`"),
            );
        }
        if kind == PartyKind::Provider && self.model.provider.is_empty() {
            self.model.provider = label.to_string();
        }
        self.model.parties.push(Party {
            id: id.clone(),
            kind,
            name: Text::new(&self.lang, label),
        });
        self.party_labels.insert(k, id.clone());
        id
    }

    /// The section of a heading, declaring it (and its ancestors) on first use.
    fn heading_section(&mut self, hi: usize) -> String {
        if let Some(s) = self.heading_sections.get(&hi) {
            return s.clone();
        }
        let h = self.doc.headings[hi].clone();
        let (number, title) = split_number(&h.text);
        let loc = Loc {
            sheet: None,
            line: Some(h.line),
        };
        let id = if self.has_meta {
            let m = &self.model;
            let found =
                h.id.as_deref()
                    .and_then(|id| m.section(id))
                    .or_else(|| {
                        number.as_deref().and_then(|n| {
                            m.sections.iter().find(|s| s.number.as_deref() == Some(n))
                        })
                    })
                    .or_else(|| {
                        m.sections
                            .iter()
                            .find(|s| s.title.all().any(|t| key(t) == key(&title)))
                    })
                    .map(|s| s.id.clone());
            match found {
                Some(id) => id,
                None => self.new_section(h.id.clone(), number, &title, None, &loc, true),
            }
        } else {
            // The parent: by number when numbered, else the nearest enclosing heading below the
            // document title.
            let parent = match &number {
                Some(n) => {
                    let mut p = parent_number(n);
                    let mut found = None;
                    while let Some(pn) = p {
                        if let Some(pi) = self
                            .doc
                            .headings
                            .iter()
                            .position(|x| split_number(&x.text).0.as_deref() == Some(pn))
                        {
                            found = Some(self.heading_section(pi));
                            break;
                        }
                        p = parent_number(pn);
                    }
                    found
                }
                None => {
                    let enclosing = self.doc.headings[..hi]
                        .iter()
                        .rposition(|x| x.level < h.level && x.level > 1);
                    enclosing.map(|pi| self.heading_section(pi))
                }
            };
            self.new_section(h.id.clone(), number, &title, parent, &loc, false)
        };
        self.heading_sections.insert(hi, id.clone());
        id
    }

    /// The section named by a section column or a sheet, declaring it on first use.
    fn named_section(&mut self, value: &str, title: Option<&Text>, loc: &Loc) -> String {
        let m = &self.model;
        let k = key(value);
        if let Some(s) = m
            .section(value)
            .or_else(|| {
                m.sections
                    .iter()
                    .find(|s| s.number.as_deref() == Some(value))
            })
            .or_else(|| {
                m.sections
                    .iter()
                    .find(|s| s.title.all().any(|t| key(t) == k))
            })
        {
            return s.id.clone();
        }
        let (number, rest) = split_number(value);
        let title_text = title
            .filter(|t| t.all().any(|s| !s.is_empty()))
            .map(|t| t.best(&self.lang).to_string())
            .unwrap_or(if rest.is_empty() {
                value.to_string()
            } else {
                rest
            });
        let parent = number.as_deref().and_then(parent_number).and_then(|p| {
            self.model
                .sections
                .iter()
                .find(|s| s.number.as_deref() == Some(p))
                .map(|s| s.id.clone())
        });
        let mut id = self.new_section(None, number, &title_text, parent, loc, self.has_meta);
        if let Some(t) = title {
            if let Some(s) = self.model.sections.iter_mut().find(|s| s.id == id) {
                for (l, v) in &t.0 {
                    if !v.is_empty() {
                        s.title.set(l, v.clone());
                    }
                }
            }
        }
        if id.is_empty() {
            id = "main".into();
        }
        id
    }

    fn new_section(
        &mut self,
        id: Option<String>,
        number: Option<String>,
        title: &str,
        parent: Option<String>,
        loc: &Loc,
        warn: bool,
    ) -> String {
        let base = id.or_else(|| number.clone()).unwrap_or_else(|| slug(title));
        let id = unique(base, |c| self.model.sections.iter().any(|s| s.id == c));
        if warn {
            self.warn(
                loc,
                None,
                Some(title),
                format!("not a section of the model; declared as `{id}`"),
            );
        }
        self.model.sections.push(Section {
            id: id.clone(),
            number,
            parent,
            kind: SectionKind::Group,
            title: Text::new(&self.lang, title),
            layer: None,
        });
        id
    }

    /// Final touches of a model imported without metadata.
    fn finish_plain(&mut self) {
        // Sections in document order: ancestors were declared on demand, possibly after.
        let order: Vec<String> = self.model.sections.iter().map(|s| s.id.clone()).collect();
        let mut sorted = Vec::new();
        fn visit(m: &Model, parent: Option<&str>, order: &[String], out: &mut Vec<Section>) {
            for id in order {
                if let Some(s) = m.section(id) {
                    if s.parent.as_deref() == parent && !out.iter().any(|x: &Section| x.id == s.id)
                    {
                        out.push(s.clone());
                        visit(m, Some(&s.id), order, out);
                    }
                }
            }
        }
        visit(&self.model, None, &order, &mut sorted);
        if sorted.len() == self.model.sections.len() {
            self.model.sections = sorted;
        }
        // Every activity names every party, as a published matrix does.
        let parties: Vec<String> = self.model.parties.iter().map(|p| p.id.clone()).collect();
        for a in &mut self.model.activities {
            for p in &parties {
                a.roles.entry(p.clone()).or_default();
            }
        }
        if self.model.provider.is_empty() {
            self.model.provider = self
                .model
                .parties
                .iter()
                .find(|p| p.kind == PartyKind::Provider)
                .map(|p| p.name.best(&self.lang).to_string())
                .unwrap_or_else(|| "unknown".into());
        }
    }
}

/// How owners named in words become letters; the model's `roles.note` says it.
const OWNERS_NOTE: &str = "The source names who owns each duty in words, not in RACI letters. onus encodes a party named alone (\"Customer\", \"Red Hat\", \"AWS\") as R and A; each party of \"X and Y\" as R and A, since the document does not say which one answers for a duty it shares (rule multiple-accountable reports these rows); \"Shared\" as R and A for the provider and the customer. C and I are not used.";

/// Whether a table's party columns name owners in words rather than role letters: no
/// non-empty cell reads as letters, and some read as owners.
fn owners_in_words(t: &Table, h: &Header, letters: &[char]) -> bool {
    let (mut as_letters, mut as_owners) = (0, 0);
    for row in &t.rows[h.index + 1..] {
        for (i, col) in h.cols.iter().enumerate() {
            if !matches!(col, Col::Party(_)) {
                continue;
            }
            let v = row.cells.get(i).map(|s| s.trim()).unwrap_or("");
            if v.is_empty() {
                continue;
            }
            match parse_cell(v, letters) {
                Ok(c) if !c.letters.is_empty() => as_letters += 1,
                _ if parse_cell_owners(v).is_some_and(|o| !o.owners.is_empty()) => as_owners += 1,
                _ => {}
            }
        }
    }
    as_letters == 0 && as_owners > 0
}

fn set(t: &mut Text, lang: &Option<String>, v: &str) {
    if let Some(l) = lang {
        t.set(l, v);
    }
}

fn list(v: &str) -> Vec<String> {
    v.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
