//! How surely a structured fact is the value of a field.
//!
//! The property name says most of it (`datePublished` is a date); the type of the item it
//! belongs to says the rest: a `Product`'s `name` is the page title, an `Organization`'s
//! `name` is the company, a `BreadcrumbList`'s names are neither.

use super::{Fact, Source};
use crate::agent::heuristic::field::{Concept, FieldSpec};

/// What kind of item a fact belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The page's own thing: a product, an article, an event…
    Main,
    /// A company or other organization.
    Org,
    /// A person.
    Person,
    /// A place or venue.
    Place,
    /// The page or site itself (including meta tags).
    Page,
    /// Lists and navigation: breadcrumbs, item lists, images, site search.
    List,
    /// An item of a type not known here.
    Other,
}

fn kind_of(root_type: &str) -> Kind {
    let t = root_type;
    if t == "meta" || t.ends_with("Page") || t == "WebSite" {
        return Kind::Page;
    }
    if matches!(
        t,
        "BreadcrumbList"
            | "ItemList"
            | "ListItem"
            | "SiteNavigationElement"
            | "ImageObject"
            | "SearchAction"
            | "WPHeader"
            | "WPFooter"
    ) {
        return Kind::List;
    }
    if t == "Person" {
        return Kind::Person;
    }
    if matches!(
        t,
        "Organization"
            | "Corporation"
            | "LocalBusiness"
            | "Restaurant"
            | "Hotel"
            | "Brand"
            | "NGO"
            | "ProfessionalService"
            | "OnlineStore"
    ) || t.ends_with("Organization")
        || t.ends_with("Business")
        || t.ends_with("Store")
        || t.ends_with("Company")
        || t.ends_with("Contractor")
        || t.ends_with("Agency")
        || t.ends_with("Office")
        || t.ends_with("Clinic")
        || t.ends_with("Shop")
        || is_local_business_kind(t)
    {
        return Kind::Org;
    }
    if matches!(t, "Place" | "Venue" | "Residence" | "City") || t.ends_with("Venue") {
        return Kind::Place;
    }
    if matches!(
        t,
        "Product"
            | "ProductGroup"
            | "IndividualProduct"
            | "ProductModel"
            | "Vehicle"
            | "Car"
            | "Offer"
            | "AggregateOffer"
            | "Book"
            | "Movie"
            | "Course"
            | "Recipe"
            | "JobPosting"
            | "Service"
            | "SoftwareApplication"
            | "RealEstateListing"
            | "Accommodation"
            | "House"
            | "Apartment"
            | "MusicAlbum"
            | "Dataset"
            | "VideoObject"
            | "Episode"
            | "Review"
            | "HowTo"
            | "Report"
            | "CreativeWork"
    ) || t.ends_with("Article")
        || t.ends_with("Posting")
        || t.ends_with("Event")
    {
        return Kind::Main;
    }
    Kind::Other
}

/// Common `LocalBusiness` subtypes whose names do not end in a telling word.
fn is_local_business_kind(t: &str) -> bool {
    matches!(
        t,
        "Dentist"
            | "Physician"
            | "Attorney"
            | "Notary"
            | "Plumber"
            | "Electrician"
            | "Locksmith"
            | "RoofingContractor"
            | "Bakery"
            | "CafeOrCoffeeShop"
            | "BarOrPub"
            | "Brewery"
            | "Winery"
            | "Hospital"
            | "Pharmacy"
            | "Optician"
            | "Library"
            | "Museum"
            | "School"
            | "CollegeOrUniversity"
            | "Motel"
            | "Hostel"
            | "BedAndBreakfast"
            | "AutoRepair"
            | "AutoDealer"
            | "HairSalon"
            | "BeautySalon"
            | "DaySpa"
            | "ExerciseGym"
            | "LegalService"
            | "FinancialService"
            | "AccountingService"
            | "InsuranceAgency"
            | "RealEstateAgent"
            | "TravelAgency"
            | "VeterinaryCare"
            | "ChildCare"
            | "MovingCompany"
            | "HVACBusiness"
            | "HousePainter"
            | "GeneralContractor"
            | "Florist"
    )
}

/// Property names that name the item itself.
fn is_own_name(prop: &str) -> bool {
    matches!(prop, "name" | "headline" | "title")
}

/// The score of `fact` for `spec`, 0.0–1.0; below 0.5 it is not used.
pub(crate) fn fact_score(spec: &FieldSpec, fact: &Fact) -> f32 {
    let kind = kind_of(&fact.root_type);
    let top = fact.props.len() == 1;
    let last = fact.props.last().map(String::as_str).unwrap_or("");
    let mut score = spec.key_score(&fact.key_tokens());

    match spec.concept {
        Concept::Title if top && is_own_name(last) => {
            score = match kind {
                Kind::Main => 1.0,
                Kind::Page | Kind::Other => 0.8,
                Kind::Org | Kind::Person | Kind::Place => 0.45,
                Kind::List => 0.2,
            };
        }
        Concept::Company if top && (last == "name" || last == "legalName") => {
            score = if kind == Kind::Org { 1.0 } else { 0.0 };
        }
        Concept::Author if top && last == "name" && kind == Kind::Person => score = 0.45,
        _ => {}
    }

    // A key that merely shares the field's own name ("name" for a field called "name") is
    // only the page's title when it names the main item.
    score *= match (spec.concept, kind) {
        (Concept::Title, _) => 1.0,
        (_, Kind::List) => 0.5,
        (Concept::Date, Kind::Org | Kind::Person | Kind::Place) => 0.3,
        (Concept::Price | Concept::Sku, Kind::Org | Kind::Person | Kind::Page) => 0.6,
        (Concept::Email | Concept::Phone, Kind::Person) => 0.8,
        (Concept::Description, Kind::Org | Kind::Person) => 0.6,
        (Concept::Description | Concept::Date, Kind::Page) => 0.9,
        _ => 1.0,
    };
    score *= 0.98f32.powi(i32::try_from(fact.props.len()).unwrap_or(8) - 1);
    // Reviews and comments are other people's words about the item: their authors and dates
    // are not the page's.
    if fact.props[..fact.props.len().saturating_sub(1)]
        .iter()
        .any(|p| matches!(p.as_str(), "review" | "reviews" | "comment" | "comments"))
    {
        score *= 0.3;
    }
    score *= match fact.source {
        Source::JsonLd => 1.0,
        Source::Microdata => 0.99,
        Source::Rdfa => 0.98,
        Source::Meta => 0.95,
    };
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldType, OutputField};

    fn fact(root: &str, props: &[&str]) -> Fact {
        Fact {
            source: Source::JsonLd,
            root_type: root.to_owned(),
            props: props.iter().map(|p| (*p).to_owned()).collect(),
            value: "v".to_owned(),
            rule: String::new(),
            order: 0,
        }
    }

    fn spec(name: &str, ty: FieldType) -> FieldSpec {
        let mut f = OutputField::named(name);
        f.field_type = ty;
        FieldSpec::new(&f)
    }

    #[test]
    fn item_types_decide_what_a_name_is() {
        let title = spec("title", FieldType::Text);
        let company = spec("company", FieldType::Text);
        assert!(fact_score(&title, &fact("Product", &["name"])) > 0.95);
        assert!(fact_score(&title, &fact("WebSite", &["name"])) < 0.9);
        assert!(fact_score(&title, &fact("Organization", &["name"])) < 0.5);
        assert!(fact_score(&title, &fact("BreadcrumbList", &["name"])) < 0.5);
        assert!(fact_score(&company, &fact("Organization", &["name"])) > 0.95);
        assert!(fact_score(&company, &fact("Product", &["name"])) < 0.5);
        assert!(fact_score(&company, &fact("Product", &["brand"])) > 0.8);
    }

    #[test]
    fn nested_properties_and_dates() {
        let price = spec("price", FieldType::Number);
        let date = spec("date", FieldType::Date);
        let author = spec("author", FieldType::Text);
        assert!(fact_score(&price, &fact("Product", &["offers", "price"])) > 0.95);
        assert!(fact_score(&date, &fact("NewsArticle", &["datePublished"])) > 0.95);
        assert!(fact_score(&date, &fact("NewsArticle", &["dateModified"])) < 0.5);
        assert!(fact_score(&date, &fact("Organization", &["foundingDate"])) < 0.5);
        assert!(fact_score(&author, &fact("NewsArticle", &["author"])) > 0.95);
    }
}
