//! The search box's language: words, found in an item's name, kind, camera, lens, place,
//! albums and month ("beach portugal", "july 2019", "\"new york\""), and filters:
//! `year:2019`, `month:2019-07`, `type:photo|raw|video`, `fav:yes|no`. Words match the
//! start of words, ignoring case and accents ("sao" finds "São Paulo").

use crate::VaultError;
use crate::sniff::MediaKind;

/// Month names as searches find them ("july 2019") and suggestions show them.
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Each a word or a quoted phrase, as typed.
    pub words: Vec<String>,
    /// Inclusive days, YYYY-MM-DD.
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<MediaKind>,
    pub favourite: Option<bool>,
}

impl SearchQuery {
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut query = Self::default();
        for term in terms(text) {
            match term.split_once(':') {
                Some((key, value)) if !term.starts_with('"') && is_filter_key(key) => {
                    query.filter(&key.to_lowercase(), value)?
                }
                _ => query.words.push(term.trim_matches('"').to_string()),
            }
        }
        Ok(query)
    }

    fn filter(&mut self, key: &str, value: &str) -> Result<(), VaultError> {
        let bad = |what: &str| VaultError::BadQuery(format!("{key}:{value} — {key}: takes {what}"));
        match key {
            "year" => {
                let year: i16 = value
                    .parse()
                    .ok()
                    .filter(|y| (1..=9999).contains(y))
                    .ok_or_else(|| bad("a year, as in year:2019"))?;
                self.within(format!("{year:04}-01-01"), format!("{year:04}-12-31"));
            }
            "month" => {
                let first: jiff::civil::Date = format!("{value}-01")
                    .parse()
                    .map_err(|_| bad("a month, as in month:2019-07"))?;
                self.within(first.to_string(), first.last_of_month().to_string());
            }
            "type" => {
                let kind = match value.to_lowercase().trim_end_matches('s') {
                    "photo" => MediaKind::Photo,
                    "raw" => MediaKind::Raw,
                    "video" => MediaKind::Video,
                    _ => return Err(bad("photo, raw or video")),
                };
                if self.kind.is_some_and(|k| k != kind) {
                    return Err(bad("one type per search"));
                }
                self.kind = Some(kind);
            }
            "fav" => {
                self.favourite = Some(match value.to_lowercase().as_str() {
                    "yes" | "true" | "1" => true,
                    "no" | "false" | "0" => false,
                    _ => return Err(bad("yes or no")),
                })
            }
            _ => {
                return Err(VaultError::BadQuery(format!(
                    "{key}: is not a filter (there are year:, month:, type: and fav:)"
                )));
            }
        }
        Ok(())
    }

    /// Narrows the dates to the days `from` to `to` (a second filter narrows further).
    fn within(&mut self, from: String, to: String) {
        self.from = Some(self.from.take().map_or(from.clone(), |f| f.max(from)));
        self.to = Some(self.to.take().map_or(to.clone(), |t| t.min(to)));
    }

    /// The words as an FTS5 query: every word and phrase must match, each the start of
    /// a word. None when there are no words to look for.
    pub(crate) fn full_text(&self) -> Option<String> {
        let phrases: Vec<String> = self
            .words
            .iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        (!phrases.is_empty()).then(|| phrases.join(" "))
    }
}

/// The `key` of a `key:value` filter: letters only, so that a time ("10:30") stays a
/// word.
fn is_filter_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic())
}

/// Whitespace-separated terms, a double-quoted phrase being one term (quotes kept).
fn terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                current.push(c);
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SearchQuery {
        SearchQuery::parse(text).unwrap()
    }

    #[test]
    fn words_and_phrases() {
        let query = parse("  beach \"new york\"  2019 ");
        assert_eq!(query.words, ["beach", "new york", "2019"]);
        assert_eq!(
            query.full_text().as_deref(),
            Some("\"beach\"* \"new york\"* \"2019\"*")
        );
        // Punctuation alone finds nothing to look for; a stray quote cannot break out.
        assert_eq!(parse("- !").full_text(), None);
        assert_eq!(parse("a\"b").full_text().as_deref(), Some("\"a\"\"b\"*"));
    }

    #[test]
    fn filters() {
        let query = parse("year:2019 type:videos fav:yes sea");
        assert_eq!(query.from.as_deref(), Some("2019-01-01"));
        assert_eq!(query.to.as_deref(), Some("2019-12-31"));
        assert_eq!(query.kind, Some(MediaKind::Video));
        assert_eq!(query.favourite, Some(true));
        assert_eq!(query.words, ["sea"]);
        let february = parse("month:2020-02 Year:2020");
        assert_eq!(february.from.as_deref(), Some("2020-02-01"));
        assert_eq!(february.to.as_deref(), Some("2020-02-29"));
        assert_eq!(parse("fav:no").favourite, Some(false));
        // Not filters: a time, a quoted phrase.
        assert_eq!(parse("10:30").words, ["10:30"]);
        assert_eq!(parse("\"year:2019\"").words, ["year:2019"]);
    }

    #[test]
    fn bad_filters_say_what_they_take() {
        for (text, says) in [
            ("year:19x", "a year"),
            ("month:2019-13", "a month"),
            ("type:song", "photo, raw or video"),
            ("type:photo type:video", "one type"),
            ("fav:maybe", "yes or no"),
            ("place:rome", "not a filter"),
        ] {
            let err = SearchQuery::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
