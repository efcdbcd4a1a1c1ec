//! Suggestions as the user types a search: the places, cameras, lenses, albums, months
//! and kinds the library holds, with how many items each has, whose words start with the
//! words typed (accents and case ignored). Picking one gives the search to run.

use crate::catalog::Facets;
use crate::places::Place;
use crate::search::MONTHS;
use crate::{Library, VaultError};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// How many suggestions a search box shows.
const SHOWN: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// What the user reads: "Arezzo, Tuscany, Italy", "July 2019".
    pub label: String,
    /// place, camera, lens, album, date or kind.
    pub kind: &'static str,
    pub items: u64,
    /// The whole search with this suggestion taken: what the search box then holds.
    pub search: String,
}

/// One thing the library can be searched by.
#[derive(Debug, Clone)]
struct Choice {
    label: String,
    kind: &'static str,
    items: u64,
    /// What picking it puts in the search: words, a "phrase" or a filter.
    term: String,
    /// The label's words, folded.
    words: Vec<String>,
}

impl Choice {
    fn new(label: String, kind: &'static str, items: u64, term: String) -> Self {
        let words = words_of(&label);
        Self {
            label,
            kind,
            items,
            term,
            words,
        }
    }
}

/// Everything the library can be searched by, made from the catalog's facets.
#[derive(Debug, Default)]
struct Choices(Vec<Choice>);

impl Choices {
    fn from_facets(facets: Facets) -> Self {
        let mut choices = Vec::new();
        let mut regions = std::collections::BTreeMap::<(String, String), u64>::new();
        let mut countries = std::collections::BTreeMap::<String, u64>::new();
        for (city, region, code, items) in facets.places {
            let place = Place::from_parts(city, region, code);
            if let Some(region) = &place.region {
                *regions
                    .entry((region.clone(), place.country_code.clone()))
                    .or_default() += items;
            }
            if let Some(country) = &place.country {
                *countries.entry(country.clone()).or_default() += items;
            }
            let term = phrase(&place.city);
            choices.push(Choice::new(place.label(), "place", items, term));
        }
        for ((region, code), items) in regions {
            let place = Place::from_parts(String::new(), Some(region.clone()), code);
            let label = [Some(region.as_str()), place.country.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            choices.push(Choice::new(label, "place", items, phrase(&region)));
        }
        for (country, items) in countries {
            let term = phrase(&country);
            choices.push(Choice::new(country, "place", items, term));
        }
        for (make, model, items) in facets.cameras {
            // "Canon EOS 40D" names its make; "iPhone 13 Pro" does not.
            let label = match make {
                Some(make) if !model.to_lowercase().contains(&make.to_lowercase()) => {
                    format!("{make} {model}")
                }
                _ => model.clone(),
            };
            choices.push(Choice::new(label, "camera", items, phrase(&model)));
        }
        for (lens, items) in facets.lenses {
            let term = phrase(&lens);
            choices.push(Choice::new(lens, "lens", items, term));
        }
        for (name, items) in facets.albums.into_iter().filter(|(_, items)| *items > 0) {
            let term = phrase(&name);
            choices.push(Choice::new(name, "album", items, term));
        }
        let mut years = std::collections::BTreeMap::<String, u64>::new();
        for (month, items) in facets.months {
            let (Some(year), Some(number)) = (
                month.get(..4),
                month.get(5..7).and_then(|m| m.parse::<usize>().ok()),
            ) else {
                continue;
            };
            let Some(name) = number.checked_sub(1).and_then(|i| MONTHS.get(i)) else {
                continue;
            };
            *years.entry(year.to_string()).or_default() += items;
            let label = format!("{name} {year}");
            choices.push(Choice::new(label, "date", items, format!("month:{month}")));
        }
        for (year, items) in years {
            let term = format!("year:{year}");
            choices.push(Choice::new(year, "date", items, term));
        }
        for (label, term, items) in [
            ("Photos", "type:photo", facets.photos),
            ("RAW photos", "type:raw", facets.raws),
            ("Videos", "type:video", facets.videos),
            ("Favourites", "fav:yes", facets.favourites),
        ] {
            if items > 0 {
                choices.push(Choice::new(label.into(), "kind", items, term.into()));
            }
        }
        Self(choices)
    }

    /// Suggestions for what is typed: the choices whose words start with the last words
    /// typed (as many of the last words as some choice matches), the most used first.
    fn suggest(&self, typed: &str) -> Vec<Suggestion> {
        let terms: Vec<&str> = typed.split_whitespace().collect();
        for kept in 0..terms.len() {
            let typing = &terms[kept..];
            if typing.iter().any(|t| t.contains(':') || t.contains('"')) {
                continue;
            }
            let wanted: Vec<String> = typing.iter().flat_map(|t| words_of(t)).collect();
            if wanted.is_empty() {
                continue;
            }
            let mut matching: Vec<&Choice> = self
                .0
                .iter()
                .filter(|c| {
                    wanted
                        .iter()
                        .all(|w| c.words.iter().any(|cw| cw.starts_with(w.as_str())))
                })
                .collect();
            if matching.is_empty() {
                continue;
            }
            matching.sort_by(|a, b| b.items.cmp(&a.items).then(a.label.cmp(&b.label)));
            let before = terms[..kept].join(" ");
            return matching
                .into_iter()
                .take(SHOWN)
                .map(|c| Suggestion {
                    label: c.label.clone(),
                    kind: c.kind,
                    items: c.items,
                    search: if before.is_empty() {
                        c.term.clone()
                    } else {
                        format!("{before} {}", c.term)
                    },
                })
                .collect();
        }
        Vec::new()
    }
}

/// A search term for a name: quoted when it holds more than one word.
fn phrase(name: &str) -> String {
    if name.split_whitespace().count() > 1 {
        format!("\"{}\"", name.replace('"', ""))
    } else {
        name.to_string()
    }
}

/// Lowercase words without accents, split where the search index splits them.
fn words_of(text: &str) -> Vec<String> {
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

impl Library {
    /// Suggestions for a search being typed.
    pub fn suggest(&self, typed: &str) -> Result<Vec<Suggestion>, VaultError> {
        Ok(Choices::from_facets(self.catalog.facets()?).suggest(typed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Choices {
        Choices::from_facets(Facets {
            places: vec![
                ("Sao Paulo".into(), Some("Sao Paulo".into()), "BR".into(), 3),
                ("Willemstad".into(), None, "CW".into(), 1),
                (
                    "New York City".into(),
                    Some("New York".into()),
                    "US".into(),
                    9,
                ),
            ],
            cameras: vec![
                (Some("Apple".into()), "iPhone 13 Pro".into(), 20),
                (Some("Canon".into()), "Canon EOS 40D".into(), 5),
            ],
            lenses: vec![],
            albums: vec![("Família".into(), 4)],
            months: vec![("2019-07".into(), 6), ("2019-08".into(), 2)],
            photos: 30,
            raws: 0,
            videos: 2,
            favourites: 1,
        })
    }

    fn labels(typed: &str) -> Vec<String> {
        choices()
            .suggest(typed)
            .into_iter()
            .map(|s| s.label)
            .collect()
    }

    #[test]
    fn suggestions_match_the_start_of_words_ignoring_accents_most_used_first() {
        assert_eq!(
            labels("new yo"),
            [
                "New York City, New York, United States",
                "New York, United States"
            ]
        );
        assert_eq!(labels("CURAC"), ["Curaçao", "Willemstad, Curaçao"]);
        assert_eq!(labels("familia"), ["Família"]);
        assert_eq!(labels("apple"), ["Apple iPhone 13 Pro"]);
        assert_eq!(labels("jul"), ["July 2019"]);
        assert_eq!(labels("2019"), ["2019", "July 2019", "August 2019"]);
        assert_eq!(labels("vid"), ["Videos"]);
        assert!(labels("raw").is_empty(), "no RAW photos, no suggestion");
        assert!(labels("").is_empty());
        assert!(labels("zzz").is_empty());
    }

    #[test]
    fn taking_a_suggestion_keeps_what_came_before_it() {
        let taken = |typed: &str| choices().suggest(typed)[0].search.clone();
        assert_eq!(taken("sao"), "\"Sao Paulo\"");
        assert_eq!(taken("beach jul"), "beach month:2019-07");
        assert_eq!(taken("fav:yes 2019"), "fav:yes year:2019");
        assert_eq!(taken("canon eos"), "\"Canon EOS 40D\"");
        assert_eq!(taken("favo"), "fav:yes");
    }
}
