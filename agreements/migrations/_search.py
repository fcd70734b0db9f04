"""The search's rules on PostgreSQL, in their current form (beside ``_rules``, the database's
other rules): each searched record's stored words, read in its own language, accents and case
aside. Made by migration 0008 (``search_drop_sql`` first), after the columns they read exist.
(The migration loader skips this module: its name starts with an underscore.)"""

# The text-search configuration each record's words are read with, by the language its words
# are written in (the first part of its tag: "es-MX" is "es"); any other language is read
# without stemming ("simple"). ``agreements.search`` queries with every one of them.
SEARCH_LANGUAGES = {"en": "english", "es": "spanish", "fr": "french", "pt": "portuguese"}

_CONFIG_CASES = " ".join(f"WHEN '{tag}' THEN '{config}'" for tag, config in SEARCH_LANGUAGES.items())

# Search: each searched record's words, stored on every change of the searched fields or of
# its language, read in that language. Made by migration 0008 (``search_drop_sql`` first),
# after the columns they read (a claim's language) exist: not by ``install``. Accents and case aside: ``agreements_fold`` (lower and
# unaccent, immutable so that indexes and stored words may use it; unaccent is an extension
# PostgreSQL ships, trusted: a database's owner creates it). Each record's words are stored
# twice: stemmed as written ("cooperación" → cooper, which "cooperar" finds) and stemmed once
# folded ("cooperacion", which typing without the accent finds): a stemmer reads accents, so
# folding before stemming alone would lose the first. ``agreements.search`` reads them.
SEARCH_POSTGRESQL = (
    r"""
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION agreements_fold(words text) RETURNS text AS $$
    SELECT lower(unaccent('unaccent'::regdictionary, words))
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT;

CREATE FUNCTION agreements_search_config(language text) RETURNS regconfig AS $$
    SELECT (CASE split_part(lower(language), '-', 1) """
    + _CONFIG_CASES
    + r""" ELSE 'simple' END)::regconfig
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION agreements_search_words(language text, words text) RETURNS tsvector AS $$
    SELECT to_tsvector(agreements_search_config(language), words)
        || to_tsvector(agreements_search_config(language), agreements_fold(words))
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION agreements_meeting_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := agreements_search_words(NEW.language, COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.summary, '') || ' ' || COALESCE(NEW.outcome_note, ''));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_meeting_search_words BEFORE INSERT OR UPDATE OF title, summary, outcome_note, language
    ON agreements_meeting FOR EACH ROW EXECUTE FUNCTION agreements_meeting_search_words();
CREATE INDEX meeting_search_words ON agreements_meeting USING gin (search_vector);

CREATE FUNCTION agreements_commitment_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := agreements_search_words(NEW.language, COALESCE(NEW.title, '') || ' ' || COALESCE(NEW.text, ''));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_commitment_search_words BEFORE INSERT OR UPDATE OF title, text, language
    ON agreements_commitment FOR EACH ROW EXECUTE FUNCTION agreements_commitment_search_words();
CREATE INDEX commitment_search_words ON agreements_commitment USING gin (search_vector);

CREATE FUNCTION agreements_statement_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := agreements_search_words(NEW.language, COALESCE(NEW.text, '') || ' ' || COALESCE(NEW.speaker_office, ''));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_statement_search_words BEFORE INSERT OR UPDATE OF text, speaker_office, language
    ON agreements_statement FOR EACH ROW EXECUTE FUNCTION agreements_statement_search_words();
CREATE INDEX statement_search_words ON agreements_statement USING gin (search_vector);

CREATE FUNCTION agreements_claim_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := agreements_search_words(NEW.language, COALESCE(NEW.text, '') || ' ' || COALESCE(NEW.note, ''));
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_claim_search_words BEFORE INSERT OR UPDATE OF text, note, language
    ON agreements_claim FOR EACH ROW EXECUTE FUNCTION agreements_claim_search_words();
CREATE INDEX claim_search_words ON agreements_claim USING gin (search_vector);
"""
)

SEARCHED_TABLES = ("meeting", "commitment", "statement", "claim")


def search_drop_sql() -> list[str]:
    """The search rules gone (before ``SEARCH_POSTGRESQL`` makes them again, in a migration
    that changes them); the functions take their triggers with them."""
    return [
        *(f"DROP FUNCTION IF EXISTS agreements_{t}_search_words() CASCADE" for t in SEARCHED_TABLES),
        *(f"DROP INDEX IF EXISTS {t}_search_words" for t in SEARCHED_TABLES),
        "DROP FUNCTION IF EXISTS agreements_search_words(text, text)",
        "DROP FUNCTION IF EXISTS agreements_search_config(text)",
        "DROP FUNCTION IF EXISTS agreements_fold(text)",
    ]


def search_rewrite_sql() -> list[str]:
    """Every searched record's stored words written again by its trigger (after the rules
    changed)."""
    return [f"UPDATE agreements_{t} SET language = language" for t in SEARCHED_TABLES]
