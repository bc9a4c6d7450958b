// otwatch network map: devices grouped by zone (compound nodes), one edge per
// (client, server, protocol). Positions are computed here (a grid of zones, a grid
// of devices inside each), so the map opens instantly at 500+ devices; no physics.
"use strict";
(function () {
  var PALETTE = ["#1f5fbf", "#2b7a3d", "#6b4fbb", "#0f7b8a", "#8a6d1f", "#a23b72", "#3d5a80", "#5c7c2a"];
  function colorOf(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  function layout(nodes) {
    var zones = {}, order = [];
    nodes.forEach(function (n) {
      if (n.data.zone) return;
      var z = n.data.parent;
      if (!zones[z]) { zones[z] = []; order.push(z); }
      zones[z].push(n);
    });
    order.sort(function (a, b) { return zones[b].length - zones[a].length; });
    var GAP = 70, CELL = 90, x = 0, y = 0, rowH = 0, maxW = 2600;
    order.forEach(function (z) {
      var list = zones[z];
      list.sort(function (a, b) { return (a.data.role + a.data.label).localeCompare(b.data.role + b.data.label); });
      var cols = Math.max(1, Math.ceil(Math.sqrt(list.length * 1.6)));
      var w = cols * CELL, h = Math.ceil(list.length / cols) * CELL;
      if (x > 0 && x + w > maxW) { x = 0; y += rowH + GAP; rowH = 0; }
      list.forEach(function (n, i) {
        n.position = { x: x + (i % cols) * CELL, y: y + Math.floor(i / cols) * CELL };
      });
      x += w + GAP;
      rowH = Math.max(rowH, h);
    });
  }

  function start(el) {
    var status = document.getElementById("map-status");
    fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (m) {
        layout(m.nodes);
        m.edges.forEach(function (e) { e.data.color = colorOf(e.data.proto || ""); });
        var cy = cytoscape({
          container: el,
          elements: { nodes: m.nodes, edges: m.edges },
          layout: { name: "preset", fit: true, padding: 30, animate: false },
          minZoom: 0.05, maxZoom: 3, wheelSensitivity: 0.3,
          textureOnViewport: true, hideEdgesOnViewport: m.edges.length > 2000,
          style: [
            { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
              "width": 18, "height": 18, "background-color": "#4a6a8a", "color": "#1d2330" } },
            { selector: "node[role = 'plc'], node[role = 'rtu'], node[role = 'ied']", style: { "shape": "round-rectangle", "background-color": "#1f5fbf" } },
            { selector: "node[role = 'hmi'], node[role = 'scada']", style: { "shape": "diamond", "background-color": "#2b7a3d" } },
            { selector: "node[role = 'engineering_workstation']", style: { "shape": "star", "background-color": "#b3121f" } },
            { selector: "node[role = 'historian']", style: { "shape": "barrel", "background-color": "#6b4fbb" } },
            { selector: "node[?zone]", style: { "label": "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 14,
              "font-weight": "bold", "background-color": "#eef2f8", "background-opacity": 1, "border-color": "#b8c4d8", "border-width": 1,
              "shape": "round-rectangle", "padding": 24, "color": "#34445f" } },
            { selector: "edge", style: { "width": 1.2, "line-color": "data(color)", "curve-style": "straight", "opacity": 0.75,
              "target-arrow-shape": "triangle", "target-arrow-color": "data(color)", "arrow-scale": 0.6 } },
            { selector: "edge[?crossing]", style: { "width": 3, "line-color": "#d9480f", "target-arrow-color": "#d9480f", "opacity": 1, "z-index": 10 } },
            { selector: "edge[?new]", style: { "line-style": "dashed", "line-color": "#7b2cbf", "target-arrow-color": "#7b2cbf", "width": 2.5, "opacity": 1 } },
            { selector: ".dim", style: { "opacity": 0.08 } },
            { selector: "node:selected", style: { "border-width": 3, "border-color": "#ffb000" } },
          ],
        });
        cy.on("tap", "node", function (ev) {
          var d = ev.target.data("device");
          if (d) window.location.href = "/assets/" + encodeURIComponent(d);
        });
        cy.on("mouseover", "edge", function (ev) { status.textContent = ev.target.data("proto") + " × " + ev.target.data("count"); });
        var txt = document.getElementById("map-filter"), cr = document.getElementById("map-crossings"), nw = document.getElementById("map-new");
        function apply() {
          var q = (txt.value || "").toLowerCase().trim();
          cy.batch(function () {
            cy.elements().removeClass("dim");
            var edges = cy.edges();
            if (cr.checked) edges = edges.filter("[?crossing]");
            if (nw.checked) edges = edges.filter("[?new]");
            if (q) {
              var hitNodes = cy.nodes().filter(function (n) {
                var d = n.data();
                return !d.zone && [d.label, d.ip, d.role, d.device, (n.parent().data("label") || "")].join(" ").toLowerCase().indexOf(q) >= 0;
              });
              edges = edges.filter(function (e) {
                return (e.data("proto") || "").toLowerCase().indexOf(q) >= 0 || hitNodes.contains(e.source()) || hitNodes.contains(e.target());
              });
              var keep = hitNodes.union(edges.connectedNodes());
              cy.nodes().filter(function (n) { return !n.data("zone") && !keep.contains(n); }).addClass("dim");
            } else if (cr.checked || nw.checked) {
              var keep2 = edges.connectedNodes();
              cy.nodes().filter(function (n) { return !n.data("zone") && !keep2.contains(n); }).addClass("dim");
            }
            cy.edges().difference(edges).addClass("dim");
          });
        }
        txt.addEventListener("input", apply); cr.addEventListener("change", apply); nw.addEventListener("change", apply);
        status.textContent = m.nodes.filter(function (n) { return !n.data.zone; }).length + " devices, " + m.edges.length + " edges" +
          (m.truncated ? " (first " + m.nodes.length + " of " + m.devices_total + " devices)" : "");
      })
      .catch(function (e) { status.textContent = "Could not load the map: " + e.message; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("map");
    if (el && typeof cytoscape !== "undefined") start(el);
  });
})();
