with

users as (

    select * from {{ ref('stg_oneroster__users') }}
    where user_role = 'student'

),

demographics as (

    select * from {{ ref('stg_oneroster__demographics') }}

),

joined as (

    select
        users.user_sourced_id as student_sourced_id,
        users.user_identifier as local_student_id,
        -- userIds is '{StateID:<id>}', possibly with other '<type>:<id>' pairs after a comma
        nullif(trim(
            {{ dbt.split_part(
                dbt.split_part(
                    dbt.split_part('users.user_ids', "'StateID:'", 2),
                    "'}'", 1),
                "','", 1) }}
        ), '') as state_student_id,
        users.given_name as first_name,
        users.middle_name,
        users.family_name as last_name,
        demographics.birth_date,
        lower(trim(demographics.sex)) as sex,
        demographics.is_hispanic_or_latino,
        demographics.is_two_or_more_races,
        demographics.is_american_indian_or_alaska_native,
        demographics.is_asian,
        demographics.is_black_or_african_american,
        demographics.is_native_hawaiian_or_other_pacific_islander,
        demographics.is_white,
        (
            case when demographics.is_american_indian_or_alaska_native then 1 else 0 end
            + case when demographics.is_asian then 1 else 0 end
            + case when demographics.is_black_or_african_american then 1 else 0 end
            + case when demographics.is_native_hawaiian_or_other_pacific_islander then 1 else 0 end
            + case when demographics.is_white then 1 else 0 end
        ) as n_race_flags,
        demographics.is_economically_disadvantaged,
        demographics.is_english_learner,
        demographics.has_disability,
        demographics.home_language

    from users
    left join demographics
        on demographics.user_sourced_id = users.user_sourced_id

),

final as (

    select
        {{ student_key('local_student_id') }} as student_key,
        student_sourced_id,
        local_student_id,
        state_student_id,
        first_name,
        middle_name,
        last_name,
        birth_date,
        case
            when sex in ('female', 'f') then 'female'
            when sex in ('male', 'm') then 'male'
            when sex in ('other', 'x') then 'other'
        end as gender,
        -- federal two-question rule: Hispanic/Latino first, then two or more races
        case
            when is_hispanic_or_latino then 'hispanic_or_latino'
            when is_two_or_more_races or n_race_flags > 1 then 'two_or_more_races'
            when is_american_indian_or_alaska_native then 'american_indian_or_alaska_native'
            when is_asian then 'asian'
            when is_black_or_african_american then 'black_or_african_american'
            when is_native_hawaiian_or_other_pacific_islander then 'native_hawaiian_or_other_pacific_islander'
            when is_white then 'white'
        end as race_ethnicity,
        is_economically_disadvantaged,
        is_english_learner,
        has_disability,
        home_language

    from joined

)

select * from final
