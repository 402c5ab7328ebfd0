"""A city's class rules (班型标准): the national table with the city's own tighter rules. Public to
read; set by a regulator of the whole city (RULES.md: each rule a parameter, overridable per
city). Every booking, check-in and room of the city's institutions is then held to them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, put
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody

from api_schema.cities import ClassRulesView, ClassRuleView, SetClassRules
from api_schema.common import CommandAccepted
from backend.api.commanding import run_command, runtime
from backend.auth.access import allow, public
from backend.auth.principal import Principal
from backend.services import cities as service
from domain.account.aggregate import Role
from domain.class_types import NATIONAL_CLASS_RULES, ClassRules, LocalClassRule
from projections import institution_queries

PATH = "/v1/cities/{city_id:uuid}/class-rules"


@get(
    PATH,
    tags=["directory"],
    opt=public("a city's class rules are public: parents and institutions read them"),
)
async def class_rules(request: Request[Any, Any, Any], city_id: FromPath[UUID]) -> ClassRulesView:
    """Each class type's age window (months, from `min_age_months` up to but not including
    `max_age_months`), largest class and children per carer in force in the city, and whether
    that is the national rule or the city's own."""
    found = await institution_queries.city_class_rules(runtime(request).pool, city_id)
    if found is None:
        raise NotFoundException(f"city {city_id} not found")
    name, local = found
    rules = ClassRules(local)
    return ClassRulesView(city_id, name, [
        ClassRuleView(
            c.value, rules[c].chinese_name, rules[c].min_age_months, rules[c].max_age_months,
            rules[c].max_class_size, rules[c].children_per_carer,
            "city" if c in local else "national",
        )
        for c in NATIONAL_CLASS_RULES
    ])  # fmt: skip


@put(
    PATH, tags=["directory"],
    opt=allow(Role.regulator, relation="a regulator of the whole city in the path (not of one"
              " of its districts)"),
)  # fmt: skip
async def set_class_rules(
    request: Request[Principal, Any, Any], city_id: FromPath[UUID], data: JSONBody[SetClassRules]
) -> Response[CommandAccepted]:
    """Replace the city's own rules. Each may only tighten the national one (a narrower age
    window, a smaller class, fewer children per carer): a looser one is a 422 naming it, e.g.
    `rules[0].children_per_carer`. A class type left out follows the national rule again.
    Rooms set up larger or looser than a new rule run at the city's limit from now on;
    bookings already made stand."""
    principal = request.user
    if principal.city_id != city_id or principal.district_code is not None:
        raise PermissionDeniedException("only a regulator of the whole city may set its rules")
    rules = tuple(msgspec.convert(msgspec.structs.asdict(r), LocalClassRule) for r in data.rules)
    by = principal.account_id
    return await run_command(
        request,
        lambda uow, ctx: service.set_class_rules(uow, ctx.now, city_id=city_id, rules=rules, by=by),
    )
