import pytest

from aidenum.catalogue.territory import TerritoryError


@pytest.mark.parametrize("name, code", [
    ("Bretagne", "REG:53"), ("Ain", "DEP:01"), ("cotes d'armor", "DEP:22"), ("Côtes-d’Armor", "DEP:22"),
    ("France", "FR"), ("Europe", "EU"), ("DROME", "DEP:26"), ("Rennes", "COM:35238"),
    ("Communauté de communes de la Dombes", "EPCI:200069193"), ("Saint-Denis (974)", "COM:97411"),
])
def test_names_resolve(referential, name, code):
    assert referential.resolve(name) == code


def test_ambiguous_and_unknown_names_are_reported(referential):
    with pytest.raises(TerritoryError, match="ambigu"):
        referential.resolve("Saint-Denis")
    with pytest.raises(TerritoryError, match="inconnu"):
        referential.resolve("Atlantide")


def test_containment(referential):
    dombes = "EPCI:200069193"
    assert referential.is_open_to("DEP:01", dombes)        # container
    assert referential.is_open_to("REG:84", dombes)
    assert referential.is_open_to("FR", dombes)
    assert referential.is_open_to("COM:01053", "DEP:01")   # inside the applicant
    assert not referential.is_open_to("REG:53", dombes)
    # Saint-Denis (93) is in the Métropole du Grand Paris but not in Paris
    assert not referential.is_open_to("DEP:75", "COM:93066")
