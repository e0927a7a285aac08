"""The French analyzer and the thesaurus."""
from __future__ import annotations

import pytest

from aidenum.matcher import thesaurus
from aidenum.matcher.analysis import analyze, light_stem


def test_elisions_straight_and_typographic_apostrophes():
    assert analyze("l'école") == analyze("L’école") == analyze("école") == ["ecol"]
    assert analyze("qu'il s'agisse d'une commune") == analyze("agisse une commune")
    assert analyze("aujourd'hui") == ["aujourdhui"]


def test_accents_are_folded():
    assert analyze("Dématérialisation") == analyze("dematerialisation")
    assert analyze("cœur de ville") == analyze("coeur ville")


def test_stop_words_include_les():
    assert analyze("les communes et les écoles de la ville") == analyze("communes écoles ville")
    assert "les" not in analyze("les")


@pytest.mark.parametrize("words", [
    ("numérique", "numériques"),
    ("collectivité", "collectivités"),
    ("dématérialisation", "dématérialiser", "dématérialisée", "dématérialisées"),
    ("équipement", "équipements", "équiper"),
    ("réseau", "réseaux"),
    ("citoyen", "citoyenne", "citoyens"),
    ("données", "donnée"),
    ("sécuriser", "sécurisé", "sécurisation"),
    ("école", "écoles"),
    ("fibre", "fibres"),
    ("service", "services"),
    ("numériser", "numérisation", "numérisée"),
    ("mobilité", "mobilités"),
    ("accessibilité", "accessibilités"),
    ("commune", "communes"),
    ("communication", "communications"),
    ("informatique", "informatiques"),
    ("médiathèque", "médiathèques"),
    ("tablette", "tablettes"),
    ("caméra", "caméras"),
    ("équipe", "équipes"),
])
def test_light_stemming_conflates_inflections(words):
    assert len({tuple(analyze(w)) for w in words}) == 1, [analyze(w) for w in words]


@pytest.mark.parametrize("first, second", [
    ("données", "donner"),            # data is not « to give »
    ("mobile", "mobilité"),           # « couverture mobile » is not transport
    ("mobilisation", "mobilité"),
    ("mobile", "mobiliser"),
    ("accès", "accessibilité"),       # access to services is not disability access
    ("commune", "communication"),
    ("public", "publication"),
    ("habitat", "habitant"),
    ("équipe", "équipement"),
    ("forme", "formation"),
    ("activité", "activation"),
    ("sécurité", "sécurisation"),     # « sécurité » is also road and civil safety
    ("numérique", "numérisation"),    # the thesaurus, not the stemmer, relates these two
    ("information", "informatique"),
    ("mutualité", "mutualisation"),
    ("fonds", "fond"),
])
def test_light_stemming_keeps_distinct_words_apart(first, second):
    assert analyze(first) != analyze(second)


def test_stemming_is_light_not_snowball():
    # Snowball turns « données » into « don » and « collectivités » into « collect »
    assert analyze("données") != analyze("don")
    assert analyze("collectivités") != analyze("collecte")
    assert light_stem("station") == "station"   # stem would be too short


def test_acronyms_and_digits_are_kept():
    assert analyze("THD ENT TNI SIG FEDER DETR") == ["thd", "ent", "tni", "sig", "feder", "detr"]
    assert analyze("4G 5G 2027") == ["4g", "5g", "2027"]
    assert analyze("TNI") == ["tni"]             # a short acronym is never stemmed…
    # …a longer word in capitals is a word typed in capitals (préfecture lists): stemmed like the
    # same word in lower case, on both sides of the index
    assert analyze("LEADER") == analyze("leader") == ["lead"]
    assert analyze("RENOVATION ENERGETIQUE DE LA MAIRIE") == analyze("rénovation énergétique de la mairie")


def test_hyphenated_compounds_index_parts_and_joined_form():
    indexed = analyze("vidéo-protection", mode="index")
    assert indexed == ["video", "protection", "videoprotection"]
    assert analyze("vidéo-protection") == analyze("vidéoprotection") == ["videoprotection"]
    assert analyze("e-administration", mode="index") == ["eadministr"]


def test_shipped_thesaurus_covers_the_digital_vocabulary():
    t = thesaurus.load()
    origins = {c.group for c in t.concepts}
    assert origins == {True, False}     # Aides-territoires rows and aidenum rows
    found, added = t.expand(analyze("Déployer la vidéoprotection et le très haut débit"))
    added_texts = {e.phrase.text for e in added}
    assert "vidéosurveillance" in added_texts
    assert "fibre" in added_texts and "THD" in added_texts
    found, added = t.expand(analyze("lutter contre l'illectronisme"))
    assert {"médiation numérique", "inclusion numérique"} <= {e.phrase.text for e in added}


def test_digital_concepts_bring_their_domain_once(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("action;terme;synonymes;origine;domaine\n"
                    "0;wifi public;borne wifi,hotspot;aidenum;numérique\n"
                    "0;numérique;digital,informatique;aides-territoires\n"
                    "0;gymnase;salle multisport;aides-territoires\n", encoding="utf-8")
    t = thesaurus.read(path)
    _, added = t.expand(analyze("des bornes wifi sur la place"))
    assert [(e.phrase.text, e.broader) for e in added] == [
        ("wifi public", False), ("hotspot", False), ("numérique", True)]
    assert added[-1].trigger.text == "borne wifi"
    # one hop: the domain does not bring its own synonyms (« digital », « informatique »)
    assert not {"digital", "informatique"} & {e.phrase.text for e in added}
    # a text that already says « numérique » gets no domain expansion
    _, added = t.expand(analyze("borne wifi et accès numérique"))
    assert "numérique" not in {e.phrase.text for e in added}
    _, added = t.expand(analyze("gymnase"))
    assert [e.phrase.text for e in added] == ["salle multisport"]


def test_shipped_digital_concepts_have_the_numerique_domain():
    t = thesaurus.load()
    for text in ("gestion électronique des documents", "vidéoprotection", "fibre optique",
                 "système d'information géographique", "vidéoprojecteur interactif"):
        _, added = t.expand(analyze(text))
        assert ("numérique", True) in {(e.phrase.text, e.broader) for e in added}, text
    _, added = t.expand(analyze("piscine municipale"))
    assert not any(e.broader for e in added)


def test_thesaurus_expands_term_to_synonyms_and_synonym_back_to_term(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("action;terme;synonymes;origine\n"
                    "0;vidéosurveillance;caméra surveillance,télésurveillance;aides-territoires\n"
                    "1;installer;déployer;aides-territoires\n", encoding="utf-8")
    t = thesaurus.read(path)
    _, added = t.expand(analyze("vidéosurveillance"))
    assert [e.phrase.text for e in added] == ["caméra surveillance", "télésurveillance"]
    _, added = t.expand(analyze("télésurveillance"))
    assert [e.phrase.text for e in added] == ["vidéosurveillance"]   # one hop, no sibling
    found, added = t.expand(analyze("déployer"))
    assert found[0][1].weak and [e.phrase.text for e in added] == ["installer"]


def test_multi_word_phrase_must_be_contiguous(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("action;terme;synonymes\n0;très haut débit;fibre\n", encoding="utf-8")
    t = thesaurus.read(path)
    assert t.expand(analyze("très haut débit"))[1]
    assert not t.expand(analyze("débit très haut"))[1]


def test_bad_thesaurus_file_gives_french_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("terme;synonymes\nx;y\n", encoding="utf-8")
    with pytest.raises(thesaurus.ThesaurusError, match="en-tête attendu"):
        thesaurus.read(path)
    path.write_text("action;terme;synonymes\n2;x;y\n", encoding="utf-8")
    with pytest.raises(thesaurus.ThesaurusError, match="ligne 2"):
        thesaurus.read(path)
