"""Children (幼儿): the minimum personal data, their guardians, and when they are booked."""
