// Small progressive enhancement; every page works without it.
// Texts come from Django's JavaScript catalogue (jsi18n, loaded before this file); without it
// they stay English rather than break the page.
var gettext =
  window.gettext ||
  function (text) {
    return text;
  };
var ngettext =
  window.ngettext ||
  function (singular, plural, count) {
    return count === 1 ? singular : plural;
  };
var interpolate =
  window.interpolate ||
  function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) {
      return String(values[name]);
    });
  };

(function () {
  "use strict";

  // The page that hands the shopper to a payment provider (LiqPay) posts its form at once.
  // (Here, not inline in the page: the Content-Security-Policy allows no inline script.)
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
    form.submit();
  });

  // After a refused form, move focus to its error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }

  // A form marked data-submit-once ignores a second click while the first is on its way.
  // The server is safe either way (the checkout token makes a repeat return the same order);
  // this only spares the shopper a confusing second request.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit][data-busy-text]");
      if (button) {
        button.dataset.idleText = button.textContent;
        button.textContent = button.dataset.busyText || gettext("Sending…");
      }
    });
  });

  // Coming back with the browser's Back button restores the page as it was left: re-arm it.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
      var button = form.querySelector("button[data-idle-text]");
      if (button) {
        button.textContent = button.dataset.idleText;
      }
    });
  });
})();

// Checkout: pick the Nova Poshta city and branch from the directory. The city field searches
// as you type; choosing a city fills a list of its branches and parcel lockers. The picks go
// into hidden Ref fields, which the server checks; without this script the shopper types,
// and the server asks for a city and branch from the list.
(function () {
  "use strict";

  var picker = document.querySelector("[data-np-picker]");
  if (!picker || !window.fetch) {
    return;
  }
  var cityInput = picker.querySelector("input[name=delivery_city]");
  var cityRef = picker.querySelector("input[name=delivery_city_ref]");
  var branchInput = picker.querySelector("input[name=delivery_branch]");
  var warehouseRef = picker.querySelector("input[name=delivery_warehouse_ref]");
  if (!cityInput || !cityRef || !branchInput || !warehouseRef) {
    return;
  }
  var citiesUrl = picker.dataset.citiesUrl;
  var warehousesUrl = picker.dataset.warehousesUrl;
  var GROUPS = [
    { label: gettext("Branches"), kinds: ["branch", "cargo"] },
    { label: gettext("Parcel lockers"), kinds: ["parcel_locker"] }
  ];
  var LIMIT = 50; // what the server sends at most

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  function liveRegion(className) {
    var p = document.createElement("p");
    p.className = "np-status " + className;
    p.setAttribute("aria-live", "polite");
    return p;
  }

  // --- the city: a combobox with a list of matches ------------------------------------------

  var list = document.createElement("ul");
  list.id = "np-city-options";
  list.className = "np-options";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", gettext("Cities"));
  list.hidden = true;
  var cityStatus = liveRegion("np-city-status");
  cityInput.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", cityStatus);
  cityInput.closest(".field").classList.add("np-combobox");
  cityInput.setAttribute("role", "combobox");
  cityInput.setAttribute("aria-autocomplete", "list");
  cityInput.setAttribute("aria-expanded", "false");
  cityInput.setAttribute("aria-controls", list.id);
  cityInput.setAttribute("autocomplete", "off");

  var cities = [];
  var active = -1;
  var citySeq = 0;
  var cityTimer = null;

  function closeList() {
    list.hidden = true;
    cityInput.setAttribute("aria-expanded", "false");
    cityInput.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var options = list.querySelectorAll("[role=option]");
    active = index;
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && options[index]) {
      cityInput.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      cityInput.removeAttribute("aria-activedescendant");
    }
  }

  function showCities(found, query) {
    cities = found;
    list.textContent = "";
    found.forEach(function (city, i) {
      var option = document.createElement("li");
      option.id = "np-city-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = city.name;
      if (city.area) {
        var area = document.createElement("span");
        area.className = "np-area";
        area.textContent = " " + interpolate(gettext("%(area)s region"), { area: city.area }, true);
        option.appendChild(area);
      }
      // mousedown, not click: it comes before the input's blur, which closes the list.
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        chooseCity(city);
      });
      list.appendChild(option);
    });
    if (found.length) {
      list.hidden = false;
      cityInput.setAttribute("aria-expanded", "true");
      highlight(-1);
      cityStatus.textContent = interpolate(
        ngettext("%(count)s city found.", "%(count)s cities found.", found.length),
        { count: found.length },
        true
      );
    } else {
      closeList();
      cityStatus.textContent = interpolate(gettext("No Nova Poshta city starts with “%(query)s”."), { query: query }, true);
    }
  }

  function searchCities(query) {
    var mine = ++citySeq;
    getJSON(citiesUrl + "?q=" + encodeURIComponent(query))
      .then(function (data) {
        if (mine === citySeq) {
          showCities(data.results, query);
        }
      })
      .catch(function () {
        if (mine === citySeq) {
          closeList();
          cityStatus.textContent = gettext(
            "Could not search the cities just now: check your connection and type again."
          );
        }
      });
  }

  function chooseCity(city) {
    citySeq++; // an answer still on its way is stale now
    cityInput.value = city.name;
    cityInput.removeAttribute("aria-invalid");
    closeList();
    cityStatus.textContent = "";
    if (cityRef.value !== city.ref) {
      cityRef.value = city.ref;
      forgetBranch();
    }
    branchFilter.value = "";
    loadBranches("");
  }

  cityInput.addEventListener("input", function () {
    if (cityRef.value) {
      cityRef.value = "";
      forgetBranch();
      resetBranches(gettext("Choose your city first."));
    }
    clearTimeout(cityTimer);
    var query = cityInput.value.trim();
    if (query.length < 2) {
      citySeq++;
      closeList();
      cityStatus.textContent = "";
      return;
    }
    cityTimer = setTimeout(function () {
      searchCities(query);
    }, 200);
  });

  cityInput.addEventListener("keydown", function (event) {
    if (list.hidden) {
      return;
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % cities.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active <= 0 ? cities.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault(); // with the list open, Enter chooses; it never submits the order
      var pick = active >= 0 ? cities[active] : cities.length === 1 ? cities[0] : null;
      if (pick) {
        chooseCity(pick);
      }
    } else if (event.key === "Escape") {
      closeList();
    }
  });

  cityInput.addEventListener("blur", function () {
    // Typed a whole name that only one city has: that is the choice.
    if (!cityRef.value) {
      var typed = cityInput.value.trim().toLowerCase();
      var same = cities.filter(function (city) {
        return city.name.toLowerCase() === typed;
      });
      if (same.length === 1) {
        chooseCity(same[0]);
      }
    }
    closeList();
  });

  // --- the branch: a select of the chosen city's branches and parcel lockers ----------------

  var branchField = branchInput.closest(".field");
  var branchLabel = branchField.querySelector("label[for='" + branchInput.id + "']");
  var select = document.createElement("select");
  select.id = branchInput.id + "_select";
  ["aria-describedby", "aria-invalid"].forEach(function (name) {
    if (branchInput.hasAttribute(name)) {
      select.setAttribute(name, branchInput.getAttribute(name));
    }
  });
  var branchFilter = document.createElement("input");
  branchFilter.type = "search";
  branchFilter.className = "np-filter";
  branchFilter.placeholder = gettext("Find by number or street");
  branchFilter.setAttribute("aria-label", gettext("Find a branch or parcel locker by number or street"));
  branchFilter.setAttribute("aria-controls", select.id);
  branchFilter.hidden = true;
  var branchStatus = liveRegion("np-branch-status");
  // The typed field stays in the form (hidden) and carries the chosen branch's name.
  branchInput.type = "hidden";
  branchInput.insertAdjacentElement("afterend", select);
  select.insertAdjacentElement("afterend", branchFilter);
  branchFilter.insertAdjacentElement("afterend", branchStatus);
  if (branchLabel) {
    branchLabel.htmlFor = select.id;
  }
  var branchSeq = 0;
  var filterTimer = null;

  function placeholder(text) {
    var option = document.createElement("option");
    option.value = "";
    option.textContent = text;
    return option;
  }

  function forgetBranch() {
    warehouseRef.value = "";
    branchInput.value = "";
  }

  function resetBranches(text) {
    branchSeq++;
    select.textContent = "";
    select.appendChild(placeholder(text));
    select.disabled = true;
    branchFilter.hidden = true;
    branchFilter.value = "";
    branchStatus.textContent = "";
  }

  function fillBranches(found, query) {
    select.textContent = "";
    var chosen = false;
    if (!found.length) {
      select.appendChild(
        placeholder(
          query
            ? interpolate(gettext("Nothing matches “%(query)s”"), { query: query }, true)
            : gettext("No branches in this city")
        )
      );
    } else {
      select.appendChild(placeholder(gettext("Choose a branch or parcel locker")));
    }
    GROUPS.forEach(function (group) {
      var members = found
        .filter(function (w) {
          return group.kinds.indexOf(w.kind) !== -1;
        })
        .sort(function (a, b) {
          return (parseInt(a.number, 10) || 0) - (parseInt(b.number, 10) || 0);
        });
      if (!members.length) {
        return;
      }
      var optgroup = document.createElement("optgroup");
      optgroup.label = group.label;
      members.forEach(function (w) {
        var option = document.createElement("option");
        option.value = w.ref;
        option.textContent = w.name;
        if (w.ref === warehouseRef.value) {
          option.selected = true;
          chosen = true;
        }
        optgroup.appendChild(option);
      });
      select.appendChild(optgroup);
    });
    if (!chosen) {
      forgetBranch(); // what is submitted is what the list shows
    }
    select.disabled = !found.length;
    branchFilter.hidden = false;
    branchStatus.textContent =
      found.length >= LIMIT
        ? interpolate(gettext("Showing the first %(limit)s: find yours by its number or street."), { limit: LIMIT }, true)
        : "";
  }

  function loadBranches(query) {
    if (!cityRef.value) {
      resetBranches(gettext("Choose your city first."));
      return;
    }
    var mine = ++branchSeq;
    select.disabled = true;
    select.textContent = "";
    select.appendChild(placeholder(gettext("Loading branches…")));
    var url = warehousesUrl + "?city=" + encodeURIComponent(cityRef.value);
    if (query) {
      url += "&q=" + encodeURIComponent(query);
    }
    getJSON(url)
      .then(function (data) {
        if (mine === branchSeq) {
          fillBranches(data.results, query);
        }
      })
      .catch(function () {
        if (mine === branchSeq) {
          select.textContent = "";
          select.appendChild(placeholder(gettext("Could not load the branches")));
          branchStatus.textContent = gettext(
            "Could not load the branches just now: check your connection and choose the city again."
          );
        }
      });
  }

  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    warehouseRef.value = option ? option.value : "";
    branchInput.value = option && option.value ? option.textContent : "";
    if (option && option.value) {
      select.removeAttribute("aria-invalid");
    }
  });

  branchFilter.addEventListener("input", function () {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      loadBranches(branchFilter.value.trim());
    }, 250);
  });
  // Enter in the filter narrows the list; it must not submit the order.
  branchFilter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(filterTimer);
      loadBranches(branchFilter.value.trim());
    }
  });

  // Coming back to a refused form: keep the picks the server accepted, reload their branches.
  if (cityInput.getAttribute("aria-invalid") === "true") {
    cityRef.value = "";
  }
  if (cityRef.value) {
    loadBranches("");
  } else {
    resetBranches(gettext("Choose your city first."));
  }
})();
