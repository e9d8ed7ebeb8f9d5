with

source as (

    select * from {{ source('raw', 'oneroster_demographics') }}
    {{ latest_delivery(source('raw', 'oneroster_demographics')) }}

),

renamed as (

    select
        "sourcedId" as user_sourced_id,
        cast("birthDate" as date) as birth_date,
        "sex" as sex,
        {{ parse_boolean('"americanIndianOrAlaskaNative"') }} as is_american_indian_or_alaska_native,
        {{ parse_boolean('"asian"') }} as is_asian,
        {{ parse_boolean('"blackOrAfricanAmerican"') }} as is_black_or_african_american,
        {{ parse_boolean('"nativeHawaiianOrOtherPacificIslander"') }} as is_native_hawaiian_or_other_pacific_islander,
        {{ parse_boolean('"white"') }} as is_white,
        {{ parse_boolean('"demographicRaceTwoOrMoreRaces"') }} as is_two_or_more_races,
        {{ parse_boolean('"hispanicOrLatinoEthnicity"') }} as is_hispanic_or_latino,
        "countryOfBirthCode" as country_of_birth_code,
        "stateOfBirthAbbreviation" as state_of_birth_abbreviation,
        "cityOfBirth" as city_of_birth,
        "publicSchoolResidenceStatus" as public_school_residence_status,
        {{ parse_boolean('"metadata.economicallyDisadvantaged"') }} as is_economically_disadvantaged,
        {{ parse_boolean('"metadata.englishLearner"') }} as is_english_learner,
        {{ parse_boolean('"metadata.disability"') }} as has_disability,
        "metadata.homeLanguage" as home_language,
        source_file,
        source_row

    from source

)

select * from renamed
