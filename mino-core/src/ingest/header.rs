//! The header row: its names, their checks, and what each column is for.

use indexmap::IndexMap;

use crate::error::{Error, Result};

use super::encoding::Encoding;
use super::records::Record;

/// The case-insensitive prefix of ground-truth columns.
pub const GROUND_TRUTH_PREFIX: &str = "gt_";

/// Header names that mark the site column, compared after lower-casing and removing spaces,
/// underscores and hyphens; earlier entries win when several columns match.
const SITE_NAMES: [&str; 12] = [
    "siteurl",
    "url",
    "websiteurl",
    "website",
    "site",
    "homepageurl",
    "homepage",
    "weburl",
    "pageurl",
    "domain",
    "domainname",
    "link",
];

/// Decodes and trims the header names, and checks that none is empty, no two are equal
/// (ignoring case and surrounding spaces), and every ground-truth column names a field.
pub(crate) fn read_header(record: &Record, encoding: Encoding) -> Result<Vec<String>> {
    let names = record
        .iter()
        .map(|field| encoding.decode(field).map(|name| name.trim().to_string()))
        .collect::<Result<Vec<_>>>()?;

    let empty: Vec<String> = positions(names.iter().enumerate().filter(|(_, n)| n.is_empty()));
    if !empty.is_empty() {
        return Err(Error::validation(format!(
            "the header has no name at column {} (columns count from 1); every column needs a name",
            empty.join(", ")
        ))
        .with_context("columns", empty.join(",")));
    }

    let mut seen: IndexMap<String, Vec<usize>> = IndexMap::new();
    for (index, name) in names.iter().enumerate() {
        seen.entry(name.to_lowercase()).or_default().push(index);
    }
    let duplicates: Vec<String> = seen
        .values()
        .filter(|at| at.len() > 1)
        .map(|at| {
            let cols: Vec<String> = at.iter().map(|i| (i + 1).to_string()).collect();
            format!("`{}` (columns {})", names[at[0]], cols.join(", "))
        })
        .collect();
    if !duplicates.is_empty() {
        return Err(Error::validation(format!(
            "the header repeats column names (ignoring case): {}",
            duplicates.join("; ")
        ))
        .with_context("duplicates", duplicates.join("; ")));
    }

    if let Some((index, name)) = names
        .iter()
        .enumerate()
        .find(|(_, n)| ground_truth_field(n).is_some_and(|f| f.trim().is_empty()))
    {
        return Err(Error::validation(format!(
            "column {} `{name}` has the ground-truth prefix but no field name after it",
            index + 1
        )));
    }
    Ok(names)
}

fn positions<'a>(items: impl Iterator<Item = (usize, &'a String)>) -> Vec<String> {
    items.map(|(i, _)| (i + 1).to_string()).collect()
}

/// The output field of a ground-truth column (`gt_Price` → `Price`), as written after the
/// prefix.
pub(crate) fn ground_truth_field(name: &str) -> Option<&str> {
    let prefix = name.get(..GROUND_TRUTH_PREFIX.len())?;
    prefix
        .eq_ignore_ascii_case(GROUND_TRUTH_PREFIX)
        .then(|| &name[GROUND_TRUTH_PREFIX.len()..])
}

/// The column whose name says it holds the site URL, ground-truth columns excluded.
pub(crate) fn site_column_by_name(names: &[String]) -> Option<usize> {
    let keys: Vec<String> = names.iter().map(|n| name_key(n)).collect();
    SITE_NAMES.iter().find_map(|wanted| {
        keys.iter()
            .zip(names)
            .position(|(key, name)| key == wanted && ground_truth_field(name).is_none())
    })
}

fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column a caller named as the site column.
pub(crate) fn site_column_by_override(names: &[String], wanted: &str) -> Result<usize> {
    let wanted = wanted.trim();
    let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(wanted)) else {
        return Err(Error::validation(format!(
            "there is no column `{wanted}` to use as the site column; the columns are: {}",
            quoted_list(names)
        ))
        .with_context("field", "site_column"));
    };
    if ground_truth_field(&names[index]).is_some() {
        return Err(Error::validation(format!(
            "`{}` is a ground-truth column and cannot be the site column",
            names[index]
        ))
        .with_context("field", "site_column"));
    }
    Ok(index)
}

/// `` `a`, `b`, `c` `` for messages.
pub(crate) fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::ingest::records::RecordReader;
    use crate::ingest::Delimiter;
    use crate::ErrorKind;

    fn header(fields: &[&str]) -> Result<Vec<String>> {
        let line = fields.join(",");
        let mut record = Record::default();
        RecordReader::new(line.as_bytes(), Delimiter::Comma)
            .read(&mut record)
            .unwrap();
        read_header(&record, Encoding::Utf8)
    }

    fn names(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn trims_names() {
        assert_eq!(header(&[" url ", "Name"]).unwrap(), names(&["url", "Name"]));
    }

    #[test]
    fn empty_names_are_reported_with_positions() {
        let err = header(&["url", "", "price", " "]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert!(err.message().contains("column 2, 4"), "{}", err.message());
    }

    #[test]
    fn duplicate_names_ignore_case_and_spaces() {
        let err = header(&["url", "Price", "name", " price ", "URL"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        let msg = err.message();
        assert!(msg.contains("`url` (columns 1, 5)"), "{msg}");
        assert!(msg.contains("`Price` (columns 2, 4)"), "{msg}");
    }

    #[test]
    fn ground_truth_needs_a_field() {
        assert_eq!(ground_truth_field("GT_Price"), Some("Price"));
        assert_eq!(ground_truth_field("gtprice"), None);
        assert_eq!(ground_truth_field("g"), None);
        assert!(header(&["url", "gt_"]).is_err());
    }

    #[test]
    fn site_column_names() {
        for (fields, expected) in [
            (&["name", "Site URL"][..], Some(1)),
            (&["website_url", "x"][..], Some(0)),
            (&["Homepage", "url"][..], Some(1)),
            (&["gt_url", "link"][..], Some(1)),
            (&["gt_url", "name"][..], None),
            (&["name", "price"][..], None),
        ] {
            assert_eq!(site_column_by_name(&names(fields)), expected, "{fields:?}");
        }
    }

    #[test]
    fn site_column_override() {
        let cols = names(&["Shop", "gt_url"]);
        assert_eq!(site_column_by_override(&cols, " shop ").unwrap(), 0);
        let err = site_column_by_override(&cols, "nope").unwrap_err();
        assert!(err.message().contains("`Shop`, `gt_url`"));
        assert_eq!(
            site_column_by_override(&cols, "GT_URL").unwrap_err().kind(),
            ErrorKind::Validation
        );
    }
}
