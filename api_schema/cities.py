"""A city's class rules on the wire: the national table with the city's own tighter rules."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api_schema.institutions import ClassType

Months = Annotated[int, msgspec.Meta(ge=0, le=36, description="age in whole months")]


class CityClassRule(msgspec.Struct, frozen=True):
    """The city's rule for one class type, in place of the national one; never looser."""

    class_type: Annotated[ClassType, msgspec.Meta(examples=["toddler"])]
    min_age_months: Annotated[Months, msgspec.Meta(examples=[12])]
    max_age_months: Annotated[
        Months, msgspec.Meta(examples=[24], description="first age no longer taken")
    ]
    max_class_size: Annotated[int, msgspec.Meta(ge=1, le=20, examples=[12])]
    children_per_carer: Annotated[int, msgspec.Meta(ge=1, le=7, examples=[4])]


class SetClassRules(msgspec.Struct, frozen=True):
    """The city's own rules from now on; a class type left out follows the national rule."""

    rules: Annotated[list[CityClassRule], msgspec.Meta(max_length=5)]


class ClassRuleView(msgspec.Struct, frozen=True):
    class_type: ClassType
    class_name: str  # 乳儿班, 托小班 …
    min_age_months: int
    max_age_months: int  # the first age no longer taken
    max_class_size: int
    children_per_carer: int
    source: Literal["national", "city"]  # the national rule, or the city's own


class ClassRulesView(msgspec.Struct, frozen=True):
    city_id: UUID
    city_name: str
    rules: list[ClassRuleView]
